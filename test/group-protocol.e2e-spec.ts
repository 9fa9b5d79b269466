import { inject } from 'vitest';
import { engineEnv } from './support/engine.js';
import { LocalBroker, privateBrokerPort } from './support/kafka-broker.js';
import { ReplicaProcess } from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

/**
 * KAFKA_GROUP_PROTOCOL against a broker that speaks only the classic group
 * protocol (as Kafka before 4.0, or one with group.coordinator.rebalance.protocols=classic).
 * Only the platformatic engine speaks KIP-848, so only its run of the suite has
 * something to prove here (kafkajs + consumer is refused by the configuration,
 * src/config/kafka-client.config.spec.ts).
 */
describe.skipIf(engineEnv().KAFKA_CLIENT !== 'platformatic')(
  'the consumer group protocol against a broker without KIP-848 (platformatic engine)',
  () => {
    const broker = new LocalBroker(
      privateBrokerPort(inject('kafkaBrokers'), 850),
      { KAFKA_LOCAL_GROUP_PROTOCOLS: 'classic' },
    );
    let admin: TestAdmin;

    beforeAll(async () => {
      await broker.start();
      admin = await new TestAdmin([broker.address]).connect();
    }, 300_000);

    afterAll(async () => {
      await ReplicaProcess.killAll();
      await admin?.disconnect().catch(() => undefined);
      await broker.stop();
    });

    function env(extra: Record<string, string> = {}) {
      return {
        KAFKA_BROKERS: broker.address,
        KAFKA_TOPIC: uniqueName('protocol'),
        KAFKA_TOPIC_PARTITIONS: '2',
        REALTIME_GROUP_ID: uniqueName('rt'),
        ANALYTICS_GROUP_ID: uniqueName('an'),
        LOG_FORMAT: 'json',
        ...extra,
      };
    }

    it('refuses to start with one line naming KAFKA_GROUP_PROTOCOL=classic', async () => {
      const replica = await ReplicaProcess.spawn({
        name: uniqueName('kip848'),
        env: env(),
        journal: false,
      });
      const exit = await replica.exitsWithin(60_000);
      expect(exit.code).toBe(1);
      const fatal = replica
        .logs()
        .split('\n')
        .filter((line) => line.includes('"level":"fatal"'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatch(
        /the broker refused KIP-848's consumer group protocol .*: set KAFKA_GROUP_PROTOCOL=classic/,
      );
    });

    it('with KAFKA_GROUP_PROTOCOL=classic joins classic groups there and consumes', async () => {
      const settings = env({ KAFKA_GROUP_PROTOCOL: 'classic' });
      const replica = await ReplicaProcess.start({
        name: uniqueName('classic'),
        env: settings,
        journal: false,
      });
      const view = await replica.consumers();
      expect(
        view.groups.map((g) => [g.name, g.client, g.groupProtocol]),
      ).toEqual([
        ['realtime', 'platformatic', 'classic'],
        ['analytics', 'platformatic', 'classic'],
      ]);
      expect(
        (await replica.post('/produce', { messagesPerPartition: 2 })).status,
      ).toBe(201);
      for (const group of [
        settings.REALTIME_GROUP_ID,
        settings.ANALYTICS_GROUP_ID,
      ]) {
        await waitFor(() => admin.caughtUp(group, settings.KAFKA_TOPIC), {
          what: `${group} caught up`,
        });
        const described = await admin.describeGroup(group, 'classic');
        expect(described.state).toBe('Stable');
        expect(described.members).toHaveLength(1);
        expect(described.members[0].assignment[settings.KAFKA_TOPIC]).toEqual([
          0, 1,
        ]);
      }
      await replica.stop();
    });
  },
);
