import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSecuritySettings } from '../../config/kafka-security.config.js';

/** kafkajs' `ssl` and `sasl` options from the validated settings. */
export function kafkaSecurityOptions(
  security: KafkaSecuritySettings,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = security;
  return {
    ssl: ssl
      ? {
          // No CA file: Node's bundled (system) CAs, as for any TLS client.
          ...(ssl.ca ? { ca: [ssl.ca] } : {}),
          ...(ssl.cert && ssl.key
            ? { cert: ssl.cert, key: ssl.key, passphrase: ssl.keyPassword }
            : {}),
          rejectUnauthorized: ssl.verify,
        }
      : false,
    sasl: sasl
      ? ({
          mechanism: sasl.mechanism,
          username: sasl.username,
          password: sasl.password,
        } as SASLOptions)
      : undefined,
  };
}

/** Values that must never appear in a log line: the password and the key's passphrase. */
export function secretsOf(security: KafkaSecuritySettings): string[] {
  return [security.sasl?.password, security.ssl?.keyPassword].filter(
    (secret): secret is string => typeof secret === 'string' && secret !== '',
  );
}
