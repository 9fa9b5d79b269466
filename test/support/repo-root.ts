import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository root: the nearest folder above this file with
 * tsconfig.build.json. Works from test/support and compiled under dist/ alike.
 */
export const REPO_ROOT = ((): string => {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.build.json'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`no tsconfig.build.json above ${import.meta.dirname}`);
  }
})();
