import { loadConfiguration } from '../../src/config/configuration.js';

/** Every environment variable loadConfiguration looks up, recorded by an env that notes each read. */
export function variablesTheCodeReads(): string[] {
  const read = new Set<string>();
  const recorder = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get(target, key, receiver) {
        if (typeof key === 'string') {
          read.add(key);
        }
        return Reflect.get(target, key, receiver) as string | undefined;
      },
    },
  );
  loadConfiguration(recorder);
  return [...read].sort();
}
