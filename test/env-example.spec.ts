import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { loadConfiguration } from '../src/config/configuration.js';
import { variablesTheCodeReads } from './support/config-keys.js';

/**
 * .env.example against the code, with no hand-kept list in between: the names
 * come from the keys loadConfiguration reads, the defaults from what it returns.
 * Convention: every setting is an active `NAME=default` line under a one-line
 * comment; optional settings without a default have an empty value (the code
 * reads empty as unset). Commented-out `# NAME=value` lines are the variables
 * only docker-compose.yml substitutes.
 */
const root = new URL('../', import.meta.url);
const exampleText = readFileSync(new URL('.env.example', root), 'utf8');
const compose: unknown = parse(
  readFileSync(new URL('docker-compose.yml', root), 'utf8'),
  { merge: true },
);

const lines = exampleText.split('\n');
const ACTIVE = /^([A-Z][A-Z0-9_]*)=(.*)$/;
const COMMENTED = /^#\s*([A-Z][A-Z0-9_]*)=(.*)$/;

// Parsed the way the app and compose read a .env file (process.loadEnvFile uses this parser).
const example = parseEnv(exampleText) as Record<string, string>;
const activeNames = lines.flatMap((line) => ACTIVE.exec(line)?.[1] ?? []);
const composeOnly = new Map(
  lines.flatMap((line) => {
    const match = COMMENTED.exec(line);
    return match ? [[match[1], match[2]] as const] : [];
  }),
);

/** Every string value in the parsed YAML (comments are gone by then). */
function stringsIn(node: unknown): string[] {
  if (typeof node === 'string') {
    return [node];
  }
  if (node !== null && typeof node === 'object') {
    return Object.values(node).flatMap(stringsIn);
  }
  return [];
}

/** `${NAME:-default}` substitutions in docker-compose.yml (`$${...}` is a literal `$`). */
function composeSubstitutions(): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const value of stringsIn(compose)) {
    for (const match of value.matchAll(
      /(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g,
    )) {
      found.set(match[1], match[2]);
    }
  }
  return found;
}

const defaults = loadConfiguration({});

describe('.env.example', () => {
  it('lists every variable loadConfiguration reads, and nothing else', () => {
    const codeReads = variablesTheCodeReads();

    expect(codeReads.length).toBeGreaterThan(20);
    expect([...activeNames].sort()).toEqual(codeReads);
    expect(Object.keys(example).sort()).toEqual(codeReads);
  });

  it('lists each variable once', () => {
    expect(new Set(activeNames).size).toBe(activeNames.length);
  });

  it.each(Object.entries(example))(
    'gives %s the default the code uses (%j)',
    (name, value) => {
      expect(loadConfiguration({ [name]: value })).toEqual(defaults);
    },
  );

  it('as a whole .env file, changes nothing from the defaults', () => {
    expect(loadConfiguration(example)).toEqual(defaults);
  });

  it('explains each variable in a comment on the line above it', () => {
    const undocumented = lines.flatMap((line, index) => {
      const name = ACTIVE.exec(line)?.[1] ?? COMMENTED.exec(line)?.[1];
      const above = lines[index - 1] ?? '';
      const isComment =
        /^#\s*\S/.test(above) && !ACTIVE.test(above) && !COMMENTED.test(above);
      return name && !isComment ? [name] : [];
    });

    expect(undocumented).toEqual([]);
  });

  it('lists, commented out, exactly the variables only docker-compose.yml uses', () => {
    const codeReads = new Set(variablesTheCodeReads());
    const composeVariables = [...composeSubstitutions().keys()];

    expect([...composeOnly.keys()].sort()).toEqual(
      composeVariables.filter((name) => !codeReads.has(name)).sort(),
    );
  });

  it('agrees with every default docker-compose.yml substitutes', () => {
    const substitutions = [...composeSubstitutions()];

    expect(substitutions.length).toBeGreaterThan(0);
    for (const [name, composeDefault] of substitutions) {
      const documented = example[name] ?? composeOnly.get(name);
      expect(composeDefault, `\${${name}:-...} in docker-compose.yml`).toBe(
        documented,
      );
    }
  });
});
