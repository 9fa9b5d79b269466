import { EnvReader } from './env.parsers.js';
import {
  groupInstanceIdOf,
  platformaticRunsOn,
  readKafkaClient,
} from './kafka-client.config.js';

function read(env: Record<string, string>, node = '24.21.0') {
  const reader = new EnvReader(env);
  const settings = readKafkaClient(reader, node);
  return { ...settings, problems: reader.problems };
}

describe('readKafkaClient', () => {
  it('defaults to kafkajs with the classic protocol', () => {
    expect(read({})).toEqual({
      client: 'kafkajs',
      groupProtocol: 'classic',
      problems: [],
    });
  });

  it('defaults the platformatic client to KIP-848 and lets classic be chosen', () => {
    expect(read({ KAFKA_CLIENT: 'platformatic' }).groupProtocol).toBe(
      'consumer',
    );
    expect(
      read({ KAFKA_CLIENT: 'platformatic', KAFKA_GROUP_PROTOCOL: 'classic' })
        .groupProtocol,
    ).toBe('classic');
  });

  it('refuses the consumer protocol on kafkajs in one line', () => {
    expect(read({ KAFKA_GROUP_PROTOCOL: 'consumer' }).problems).toEqual([
      'KAFKA_GROUP_PROTOCOL=consumer (KIP-848) needs KAFKA_CLIENT=platformatic: kafkajs speaks only the classic group protocol',
    ]);
  });

  it('reads a static-membership id for the platformatic client', () => {
    expect(
      read({ KAFKA_CLIENT: 'platformatic', KAFKA_GROUP_INSTANCE_ID: 'web-0' }),
    ).toEqual({
      client: 'platformatic',
      groupProtocol: 'consumer',
      groupInstanceId: 'web-0',
      problems: [],
    });
    expect(groupInstanceIdOf('web-0', 'realtime')).toBe('web-0-realtime');
    expect(groupInstanceIdOf(undefined, 'realtime')).toBeUndefined();
  });

  it('refuses a static-membership id on kafkajs in one line', () => {
    expect(read({ KAFKA_GROUP_INSTANCE_ID: 'web-0' }).problems).toEqual([
      'KAFKA_GROUP_INSTANCE_ID (static membership) needs KAFKA_CLIENT=platformatic: kafkajs has no static membership',
    ]);
  });

  it('refuses an instance id Kafka would not take, saying what is allowed', () => {
    expect(
      read({ KAFKA_CLIENT: 'platformatic', KAFKA_GROUP_INSTANCE_ID: 'web 0' })
        .problems,
    ).toEqual([
      'KAFKA_GROUP_INSTANCE_ID "web 0" must be 1-200 of [A-Za-z0-9._-] (e.g. the pod name, web-0)',
    ]);
  });

  it('refuses the platformatic client on a Node it does not run on, naming the versions', () => {
    expect(read({ KAFKA_CLIENT: 'platformatic' }, '20.20.2').problems).toEqual([
      'KAFKA_CLIENT=platformatic needs Node 22.22+ or 24.6+ (this is Node 20.20.2); use Node 24, or KAFKA_CLIENT=kafkajs',
    ]);
  });

  it('names the allowed values of an unknown client or protocol', () => {
    expect(
      read({ KAFKA_CLIENT: 'rdkafka', KAFKA_GROUP_PROTOCOL: 'share' }).problems,
    ).toEqual([
      'KAFKA_CLIENT must be one of kafkajs, platformatic, got "rdkafka"',
      'KAFKA_GROUP_PROTOCOL must be one of classic, consumer, got "share"',
    ]);
  });
});

describe('platformaticRunsOn', () => {
  it.each([
    ['20.20.2', false],
    ['22.21.9', false],
    ['22.22.0', true],
    ['23.11.0', false],
    ['24.5.0', false],
    ['24.6.0', true],
    ['v25.0.0', true],
  ])('Node %s: %s', (version, runs) => {
    expect(platformaticRunsOn(version)).toBe(runs);
  });
});
