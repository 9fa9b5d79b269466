import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KafkaConfig } from 'kafkajs';
import { LocalBroker } from './kafka-broker.js';
import { REPO_ROOT } from './repo-root.js';

/** A KAFKA_* env file as kafka.sh writes it (client.env, admin.env). */
export function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [
        line.slice(0, line.indexOf('=')),
        line.slice(line.indexOf('=') + 1),
      ]),
  );
}

/** The local SASL_SSL broker (KAFKA_LOCAL_SECURITY=sasl_ssl) of one port, and its two users. */
export class SecureBroker {
  readonly broker: LocalBroker;
  readonly dir: string;

  constructor(readonly port: number) {
    this.broker = new LocalBroker(port, { KAFKA_LOCAL_SECURITY: 'sasl_ssl' });
    this.dir = join(REPO_ROOT, '.kafka', String(port));
  }

  get address(): string {
    return this.broker.address;
  }

  /** The service's least-privileged settings (KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*). */
  get serviceEnv(): Record<string, string> {
    return readEnvFile(join(this.dir, 'client.env'));
  }

  get servicePassword(): string {
    return readFileSync(
      this.serviceEnv.KAFKA_SASL_PASSWORD_FILE,
      'utf8',
    ).trim();
  }

  /** kafkajs options of the super user, for assertions and ACL changes. */
  adminOptions(): Pick<KafkaConfig, 'ssl' | 'sasl'> {
    const env = readEnvFile(join(this.dir, 'admin.env'));
    return {
      ssl: { ca: [readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8')] },
      sasl: {
        mechanism: 'scram-sha-512',
        username: env.KAFKA_SASL_USERNAME,
        password: readFileSync(env.KAFKA_SASL_PASSWORD_FILE, 'utf8').trim(),
      },
    };
  }

  /** Grants (or with `remove`, deletes) the service's ACLs of docs/security.md's table for these names. */
  async acls(
    names: { topic: string; groups: string[] },
    options: { without?: string[]; remove?: boolean } = {},
  ): Promise<void> {
    const args = [
      join(REPO_ROOT, 'tools/kafka/grant-acls.mjs'),
      join(this.dir, 'admin.env'),
      '--topic',
      names.topic,
      ...names.groups.flatMap((group) => ['--group', group]),
      ...(options.without ?? []).flatMap((op) => ['--without', op]),
      ...(options.remove ? ['--delete'] : []),
    ];
    await promisify(execFile)(process.execPath, args, { cwd: REPO_ROOT });
  }

  start(): Promise<boolean> {
    return this.broker.start();
  }

  stop(): Promise<void> {
    return this.broker.stop();
  }
}
