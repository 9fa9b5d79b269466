import { readFileSync } from 'node:fs';
import type { EnvReader } from './env.parsers.js';

export const SASL_MECHANISMS = [
  'plain',
  'scram-sha-256',
  'scram-sha-512',
] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How the service connects to a secured cluster. Holds secrets: never log or serialize it. */
export interface KafkaSecuritySettings {
  ssl: {
    /** PEM bundle; undefined means the system's CAs. */
    ca?: string;
    cert?: string;
    key?: string;
    keyPassword?: string;
    /** Certificate and host name checks; false only with KAFKA_SSL_INSECURE_SKIP_VERIFY=true. */
    verify: boolean;
  } | null;
  sasl: {
    mechanism: SaslMechanism;
    username: string;
    password: string;
  } | null;
  /** Said once at boot, at warn level. */
  warnings: string[];
}

/**
 * KAFKA_SSL* and KAFKA_SASL_*: validated, files read once at boot. Every
 * problem names the variable (and the file), never a file's content or a
 * password.
 */
export function readKafkaSecurity(read: EnvReader): KafkaSecuritySettings {
  const warnings: string[] = [];
  const sslOn = read.bool('KAFKA_SSL', false);
  const caFile = read.optionalString('KAFKA_SSL_CA_FILE');
  const certFile = read.optionalString('KAFKA_SSL_CERT_FILE');
  const keyFile = read.optionalString('KAFKA_SSL_KEY_FILE');
  const keyPassword = read.optionalString('KAFKA_SSL_KEY_PASSWORD');
  const insecure = read.bool('KAFKA_SSL_INSECURE_SKIP_VERIFY', false);

  let ssl: KafkaSecuritySettings['ssl'] = null;
  if (sslOn) {
    read.check(
      (certFile === undefined) === (keyFile === undefined),
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS): set both or neither',
    );
    ssl = {
      ca: pemFile(read, 'KAFKA_SSL_CA_FILE', caFile, 'CERTIFICATE'),
      cert: pemFile(read, 'KAFKA_SSL_CERT_FILE', certFile, 'CERTIFICATE'),
      key: pemFile(read, 'KAFKA_SSL_KEY_FILE', keyFile, 'PRIVATE KEY'),
      keyPassword,
      verify: !insecure,
    };
    if (insecure) {
      warnings.push(
        'KAFKA_SSL_INSECURE_SKIP_VERIFY=true: the broker certificate and host name are NOT checked; anyone on the path can read and change the traffic. Never in production.',
      );
    }
  } else {
    for (const [name, value] of [
      ['KAFKA_SSL_CA_FILE', caFile],
      ['KAFKA_SSL_CERT_FILE', certFile],
      ['KAFKA_SSL_KEY_FILE', keyFile],
      ['KAFKA_SSL_KEY_PASSWORD', keyPassword],
    ] as const) {
      read.check(
        value === undefined,
        `${name} is set but KAFKA_SSL is not true: set KAFKA_SSL=true to use TLS`,
      );
    }
  }

  const mechanismRaw = read.optionalString('KAFKA_SASL_MECHANISM');
  const username = read.optionalString('KAFKA_SASL_USERNAME');
  const passwordFile = read.optionalString('KAFKA_SASL_PASSWORD_FILE');
  const passwordEnv = read.optionalString('KAFKA_SASL_PASSWORD');
  let sasl: KafkaSecuritySettings['sasl'] = null;
  if (mechanismRaw === undefined) {
    read.check(
      username === undefined &&
        passwordFile === undefined &&
        passwordEnv === undefined,
      'KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD(_FILE) are set but KAFKA_SASL_MECHANISM is not: set it to plain, scram-sha-256 or scram-sha-512',
    );
  } else {
    const mechanism = mechanismRaw.toLowerCase();
    const known = (SASL_MECHANISMS as readonly string[]).includes(mechanism);
    read.check(
      known,
      `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${mechanismRaw}"`,
    );
    read.check(
      username !== undefined,
      `KAFKA_SASL_MECHANISM=${mechanismRaw} needs KAFKA_SASL_USERNAME`,
    );
    // Kubernetes mounts secrets as files: the file wins, read once, trailing newline dropped.
    const password =
      passwordFile !== undefined
        ? secretFile(read, 'KAFKA_SASL_PASSWORD_FILE', passwordFile)
        : passwordEnv;
    read.check(
      password !== undefined && password !== '',
      `KAFKA_SASL_MECHANISM=${mechanismRaw} needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE`,
    );
    if (known && username !== undefined && password) {
      sasl = { mechanism: mechanism as SaslMechanism, username, password };
      if (mechanism === 'plain' && !sslOn) {
        warnings.push(
          'KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true: the password travels in clear text',
        );
      }
    }
  }
  return { ssl, sasl, warnings };
}

function readable(
  read: EnvReader,
  name: string,
  file: string,
): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    read.check(false, `${name}: cannot read ${file} (${code})`);
    return undefined;
  }
}

function pemFile(
  read: EnvReader,
  name: string,
  file: string | undefined,
  kind: 'CERTIFICATE' | 'PRIVATE KEY',
): string | undefined {
  if (file === undefined) {
    return undefined;
  }
  const text = readable(read, name, file);
  if (text === undefined) {
    return undefined;
  }
  const isPem = new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text);
  read.check(isPem, `${name}: ${file} is not a PEM ${kind.toLowerCase()}`);
  return isPem ? text : undefined;
}

function secretFile(
  read: EnvReader,
  name: string,
  file: string,
): string | undefined {
  return readable(read, name, file)?.replace(/\r?\n$/, '');
}
