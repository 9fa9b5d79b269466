import { existsSync } from 'node:fs';

/**
 * Loads `.env` from the working directory into process.env when present.
 * Real environment variables win over the file, as with dotenv.
 */
export function loadEnvFile(path = '.env'): void {
  if (existsSync(path)) {
    process.loadEnvFile(path);
  }
}
