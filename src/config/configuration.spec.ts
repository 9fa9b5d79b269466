import { ConfigValidationError, loadConfiguration } from './configuration.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfiguration(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return error.problems;
    }
    throw error;
  }
  return [];
}

describe('loadConfiguration', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfiguration({});

    expect(config.app.port).toBe(3000);
    expect(config.app.roles).toEqual(['producer', 'realtime', 'analytics']);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.topic).toBe('demo-messages');
    expect(config.kafka.topicPartitions).toBe(6);
    expect(config.consumers.realtimeGroupId).toBe('realtime');
    expect(config.consumers.analyticsGroupId).toBe('analytics');
    expect(config.consumers.fromBeginning).toBe(true);
    expect(config.producer.apiKey).toBeUndefined();
  });

  it('reads roles, brokers and group ids as given', () => {
    const config = loadConfiguration({
      APP_ROLES: ' realtime , analytics,realtime',
      KAFKA_BROKERS: 'a:9092, b:9093',
      REALTIME_GROUP_ID: 'rt',
      ANALYTICS_GROUP_ID: 'an',
    });

    expect(config.app.roles).toEqual(['realtime', 'analytics']);
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.consumers.realtimeGroupId).toBe('rt');
    expect(config.consumers.analyticsGroupId).toBe('an');
  });

  it.each([
    [
      { KAFKA_BROKERS: '' },
      'KAFKA_BROKERS must be a comma-separated list with at least one entry',
    ],
    [
      { KAFKA_BROKERS: ' , ' },
      'KAFKA_BROKERS must be a comma-separated list with at least one entry',
    ],
    [
      { KAFKA_BROKERS: 'localhost' },
      'KAFKA_BROKERS entry "localhost" must look like host:port',
    ],
    [
      { PORT: 'abc' },
      'PORT must be a whole number between 0 and 65535, got "abc"',
    ],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ APP_ROLES: 'producer,billing' }, 'APP_ROLES has unknown role "billing"'],
    [
      { APP_ROLES: '' },
      'APP_ROLES must be a comma-separated list with at least one entry',
    ],
    [
      { KAFKA_TOPIC_PARTITIONS: '0' },
      'KAFKA_TOPIC_PARTITIONS must be between 1 and 10000, got 0',
    ],
    [
      { KAFKA_TOPIC: 'bad topic!' },
      'KAFKA_TOPIC "bad topic!" is not a legal Kafka topic name',
    ],
    [
      { REALTIME_GROUP_ID: 'same', ANALYTICS_GROUP_ID: 'same' },
      'REALTIME_GROUP_ID and ANALYTICS_GROUP_ID must differ',
    ],
    [{ REALTIME_GROUP_ID: '' }, 'REALTIME_GROUP_ID must not be empty'],
    [
      {
        CONSUMER_HEARTBEAT_INTERVAL_MS: '10000',
        CONSUMER_SESSION_TIMEOUT_MS: '10000',
      },
      'CONSUMER_HEARTBEAT_INTERVAL_MS (10000) must be lower than CONSUMER_SESSION_TIMEOUT_MS (10000)',
    ],
    [
      { CONSUMER_FROM_BEGINNING: 'maybe' },
      'CONSUMER_FROM_BEGINNING must be true or false, got "maybe"',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, log, debug, verbose, got "loud"',
    ],
    [
      { SHUTDOWN_READINESS_DELAY_MS: '20000', SHUTDOWN_TIMEOUT_MS: '15000' },
      'SHUTDOWN_READINESS_DELAY_MS (20000) must be lower than SHUTDOWN_TIMEOUT_MS (15000)',
    ],
  ])('rejects %j with a message naming the variable', (env, expected) => {
    const problems = problemsOf(env);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('reports every problem at once, in one line', () => {
    expect(() => loadConfiguration({ PORT: 'x', KAFKA_BROKERS: '' })).toThrow(
      /^Invalid configuration: PORT must be .*; KAFKA_BROKERS must be .*$/,
    );
  });

  it('treats an empty PRODUCE_API_KEY as unset', () => {
    expect(
      loadConfiguration({ PRODUCE_API_KEY: '' }).producer.apiKey,
    ).toBeUndefined();
    expect(
      loadConfiguration({ PRODUCE_API_KEY: 's3cret' }).producer.apiKey,
    ).toBe('s3cret');
  });
});
