import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Replaces what a kafkajs module exports, for every later `require` of it,
 * and drops from the module cache the modules that captured the old export
 * when they loaded (`holders`: paths under node_modules, a trailing `/` for a
 * folder), so they load again with the new one. Returns the old export, or
 * undefined if `replacement` is already in place. Throws if kafkajs has no
 * such file (another kafkajs layout): the fix must not fail silently.
 */
export function swapKafkajsModule(
  modulePath: string,
  replacement: unknown,
  holders: readonly string[],
): unknown {
  const path = require.resolve(modulePath);
  require(path);
  const module = require.cache[path];
  if (!module) {
    throw new Error(`${modulePath} did not load into the module cache`);
  }
  if (module.exports === replacement) {
    return undefined;
  }
  const original: unknown = module.exports;
  module.exports = replacement;
  const base = path.slice(0, path.indexOf('kafkajs/src/'));
  for (const cached of Object.keys(require.cache)) {
    if (holders.some((holder) => cached.startsWith(base + holder))) {
      delete require.cache[cached];
    }
  }
  return original;
}
