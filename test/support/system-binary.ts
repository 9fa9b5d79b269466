import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The path of `binary` on PATH, or undefined after printing one line naming
 * the Debian package to install. Under CI=true a missing binary is an error:
 * CI installs it (.ci/run), so its absence must fail, never skip.
 */
export function systemBinary(
  binary: string,
  debianPackage: string,
): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  if (process.env.CI === 'true') {
    throw new Error(
      `${binary} is missing under CI=true: .ci/run must install the Debian package ${debianPackage}`,
    );
  }
  console.log(
    `skipped: ${binary} not found; install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
  );
  return undefined;
}
