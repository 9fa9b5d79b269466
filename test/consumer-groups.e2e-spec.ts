import { Controller, Module, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { AnalyticsService } from '../src/consumers/analytics/analytics.service.js';
import { RealtimeService } from '../src/consumers/realtime/realtime.service.js';
import { ConsumersModule } from '../src/consumers/consumers.module.js';
import { groupConsumerProvider } from '../src/consumers/group-consumer.provider.js';
import {
  REALTIME_SERVER,
  REALTIME_TRANSPORT,
} from '../src/consumers/realtime/realtime.constants.js';
import { RealtimeModule } from '../src/consumers/realtime/realtime.module.js';
import { GroupMessageContext } from '../src/kafka/consumer/group-message.context.js';
import { GROUP_MESSAGE_PATTERN } from '../src/kafka/kafka.constants.js';
import { RethrowRpcErrorsFilter } from '../src/kafka/consumer/rethrow-rpc-errors.filter.js';
import {
  type DemoMessage,
  encodeDemoMessage,
} from '../src/messages/demo-message.js';
import type { ConsumersView } from '../src/consumers/consumers.controller.js';
import { type JournalEntry, readJournal } from './support/replica-process.js';
import { FailingRealtimeService, POISON } from './support/failing-realtime.js';
import { TestAdmin } from './support/test-admin.js';
import { TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const P = 3;
const K = 4;

function idsOf(lines: JournalEntry[], group: string): string[] {
  return lines.filter((line) => line.group === group).map((line) => line.id);
}

/** Realtime with a per-record handler (one Nest call per record) instead of the app's batch handler. */
@Controller()
class PerRecordRealtimeController {
  /** Records handed to this handler: proves the override took effect. */
  static calls = 0;

  constructor(private readonly realtime: RealtimeService) {}

  @EventPattern<string>(GROUP_MESSAGE_PATTERN, REALTIME_TRANSPORT)
  @UseFilters(RethrowRpcErrorsFilter)
  handle(
    @Payload() message: DemoMessage,
    @Ctx() context: GroupMessageContext,
  ): void {
    PerRecordRealtimeController.calls++;
    this.realtime.handle(message, context.meta);
  }
}

@Module({
  imports: [ConsumersModule],
  controllers: [PerRecordRealtimeController],
  providers: [
    { provide: RealtimeService, useClass: FailingRealtimeService },
    groupConsumerProvider({
      provide: REALTIME_SERVER,
      name: 'realtime',
      transportId: REALTIME_TRANSPORT,
      groupId: (settings) => settings.realtimeGroupId,
    }),
  ],
})
class PerRecordRealtimeModule {}

describe('realtime and analytics consumer groups (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const dir = mkdtempSync(join(tmpdir(), 'groups-'));
  let admin: TestAdmin;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  /** Closes the app, then deletes its topic and both groups' dead-letter topics. */
  async function closeAndDelete(
    app: TestApp,
    topic: string,
    ...groups: string[]
  ): Promise<void> {
    await app.close();
    await admin.deleteTopics([
      topic,
      ...groups.map((group) => `${topic}.${group}.dlq`),
    ]);
  }

  function envFor(
    topic: string,
    realtime: string,
    analytics: string,
    extra: Record<string, string> = {},
  ) {
    return {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_TOPIC_PARTITIONS: String(P),
      REALTIME_GROUP_ID: realtime,
      ANALYTICS_GROUP_ID: analytics,
      CONSUMER_RETRY_BACKOFF_MS: '20',
      ...extra,
    };
  }

  it('delivers every record to both groups exactly once, each group committing to the end offsets', async () => {
    const topic = uniqueName('fanout');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    const journal = join(dir, `${topic}.jsonl`);
    const app = await TestApp.start({
      env: envFor(topic, realtime, analytics, {
        CONSUMER_JOURNAL_FILE: journal,
      }),
    });
    const handled = vi.spyOn(app.app.get(RealtimeService), 'handle');
    const recorded = vi.spyOn(app.app.get(AnalyticsService), 'record');
    try {
      expect(
        (await app.post('/produce', { messagesPerPartition: K })).status,
      ).toBe(201);

      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime committed to the end',
      });
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics committed to the end',
      });
      const ends = await admin.endOffsets(topic);
      expect(Object.values(ends)).toEqual([K, K, K]);
      expect(await admin.committedOffsets(realtime, topic)).toEqual(ends);
      expect(await admin.committedOffsets(analytics, topic)).toEqual(ends);

      const lines = readJournal(journal);
      for (const group of [realtime, analytics]) {
        const ids = idsOf(lines, group);
        expect(ids).toHaveLength(K * P);
        expect(new Set(ids).size).toBe(K * P);
      }
      // Same records, seen by each group: fan-out.
      expect(new Set(idsOf(lines, realtime))).toEqual(
        new Set(idsOf(lines, analytics)),
      );
      // Each handler ran once per record, only for its own group (nestjs/nest#13421).
      expect(handled).toHaveBeenCalledTimes(K * P);
      expect(recorded).toHaveBeenCalledTimes(K * P);

      const view = (await app.get<ConsumersView>('/consumers')).body;
      expect(
        view.groups.map((g) => [
          g.name,
          g.groupId,
          g.status,
          g.assignedPartitions,
          g.processed,
        ]),
      ).toEqual([
        ['realtime', realtime, 'joined', [0, 1, 2], K * P],
        ['analytics', analytics, 'joined', [0, 1, 2], K * P],
      ]);
      expect(view.groups[0].lastCommitted).toEqual({
        0: String(K),
        1: String(K),
        2: String(K),
      });
      const summary = (
        await app.get<{
          messages: number;
          byPartition: Record<string, number>;
        }>('/analytics')
      ).body;
      expect(summary.messages).toBe(K * P);
      expect(summary.byPartition).toEqual({ 0: K, 1: K, 2: K });
    } finally {
      await app.close();
    }

    // Restart: nothing already committed is handled again, new records are.
    const restarted = await TestApp.start({
      env: envFor(topic, realtime, analytics, {
        CONSUMER_JOURNAL_FILE: journal,
      }),
    });
    try {
      await restarted.untilJoined();
      expect(
        (await restarted.post('/produce', { messagesPerPartition: 1 })).status,
      ).toBe(201);
      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime caught up after restart',
      });
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics caught up after restart',
      });
      const view = (await restarted.get<ConsumersView>('/consumers')).body;
      expect(view.groups.map((g) => g.processed)).toEqual([P, P]);
      const lines = readJournal(journal);
      for (const group of [realtime, analytics]) {
        const ids = idsOf(lines, group);
        expect(ids).toHaveLength(K * P + P);
        expect(new Set(ids).size).toBe(K * P + P);
      }
    } finally {
      await restarted.close();
      await admin.deleteTopics([topic]);
    }
  });

  it('retries a failing record, dead-letters it with its origin, and keeps the partition flowing', async () => {
    const topic = uniqueName('poison');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    FailingRealtimeService.attempts.clear();
    const app = await TestApp.start({
      env: envFor(topic, realtime, analytics, { CONSUMER_MAX_RETRIES: '2' }),
      override: (builder) =>
        builder
          .overrideProvider(RealtimeService)
          .useClass(FailingRealtimeService),
    });
    try {
      expect(
        (
          await app.post('/produce', {
            partitions: [1],
            messagesPerPartition: 1,
            payload: POISON,
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await app.post('/produce', {
            partitions: [1],
            messagesPerPartition: 2,
            payload: { fail: false },
          })
        ).status,
      ).toBe(201);

      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime committed past the poison record',
      });
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics committed everything',
      });
      expect((await admin.committedOffsets(realtime, topic))[1]).toBe(3);

      const attempts = [...FailingRealtimeService.attempts.values()];
      expect(attempts.sort()).toEqual([1, 1, 3]);

      const dead = await admin.readRecords(`${topic}.${realtime}.dlq`, 1);
      expect(dead[0].headers).toMatchObject({
        'x-origin-topic': topic,
        'x-origin-partition': '1',
        'x-origin-offset': '0',
        'x-origin-group': realtime,
        'x-attempts': '3',
      });
      expect(dead[0].headers['x-error']).toMatch(/^refusing /);
      expect(JSON.parse(dead[0].value).payload).toEqual(POISON);

      const view = (await app.get<ConsumersView>('/consumers')).body;
      const [rt, an] = view.groups;
      expect([rt.processed, rt.retried, rt.deadLettered]).toEqual([2, 2, 1]);
      expect([an.processed, an.retried, an.deadLettered]).toEqual([3, 0, 0]);
    } finally {
      await closeAndDelete(app, topic, realtime, analytics);
    }
  });

  it.each([
    ['batch handler (the app’s own)', undefined],
    ['per-record handler', PerRecordRealtimeModule],
  ])(
    'a failure in the middle of a fetched batch dead-letters only that record and commits past it: %s',
    async (_kind, realtimeModule) => {
      const topic = uniqueName('midbatch');
      PerRecordRealtimeController.calls = 0;
      const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
      const journal = join(dir, `${topic}.jsonl`);
      FailingRealtimeService.attempts.clear();
      await admin.createTopic(topic, P);
      // A backlog written before the service starts: each group fetches the
      // ten records of partition 0 as one batch; the fifth one fails.
      const producer = admin.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, i) => ({
          partition: 0,
          value: encodeDemoMessage({
            id: `mid-${i}`,
            partition: 0,
            sequence: i,
            producedAt: new Date().toISOString(),
            payload: { fail: i === 4 },
          }),
        })),
      });
      await producer.disconnect();
      const app = await TestApp.start({
        env: envFor(topic, realtime, analytics, {
          CONSUMER_MAX_RETRIES: '1',
          CONSUMER_JOURNAL_FILE: journal,
        }),
        override: (builder) =>
          realtimeModule
            ? builder.overrideModule(RealtimeModule).useModule(realtimeModule)
            : builder
                .overrideProvider(RealtimeService)
                .useClass(FailingRealtimeService),
      });
      try {
        await waitFor(() => admin.caughtUp(realtime, topic), {
          what: 'realtime committed past the failing record',
        });
        await waitFor(() => admin.caughtUp(analytics, topic), {
          what: 'analytics committed everything',
        });
        expect((await admin.committedOffsets(realtime, topic))[0]).toBe(10);

        const handled = readJournal(journal).filter(
          (l) => l.group === realtime,
        );
        expect(handled.map((l) => l.offset)).toEqual([
          '0',
          '1',
          '2',
          '3',
          '5',
          '6',
          '7',
          '8',
          '9',
        ]);
        expect(idsOf(readJournal(journal), analytics)).toHaveLength(10);
        const dead = await admin.readRecords(`${topic}.${realtime}.dlq`, 1);
        expect(dead.map((d) => d.headers['x-origin-offset'])).toEqual(['4']);
        expect(dead[0].headers['x-attempts']).toBe('2');
        expect(FailingRealtimeService.attempts.get('mid-4')).toBe(2);
        expect(FailingRealtimeService.attempts.get('mid-5')).toBe(1);
        // 9 handled + 2 attempts at the failing one, all through this handler.
        expect(PerRecordRealtimeController.calls).toBe(realtimeModule ? 11 : 0);
        const [rt] = (await app.get<ConsumersView>('/consumers')).body.groups;
        expect([rt.processed, rt.retried, rt.deadLettered]).toEqual([9, 1, 1]);
      } finally {
        await closeAndDelete(app, topic, realtime, analytics);
      }
    },
  );

  it('dead-letters a malformed record at once, in both groups, and keeps the partition flowing', async () => {
    const topic = uniqueName('malformed');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    const app = await TestApp.start({
      env: envFor(topic, realtime, analytics),
    });
    const producer = admin.producer();
    try {
      await producer.connect();
      await producer.send({
        topic,
        messages: [{ partition: 0, key: 'raw', value: 'not json at all' }],
      });
      expect(
        (
          await app.post('/produce', {
            partitions: [0],
            messagesPerPartition: 2,
          })
        ).status,
      ).toBe(201);

      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime past the malformed record',
      });
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics past the malformed record',
      });

      for (const group of [realtime, analytics]) {
        const [dead] = await admin.readRecords(`${topic}.${group}.dlq`, 1);
        expect(dead.value).toBe('not json at all');
        expect(dead.key).toBe('raw');
        expect(dead.headers).toMatchObject({
          'x-origin-offset': '0',
          'x-origin-group': group,
          'x-attempts': '0',
        });
        expect(dead.headers['x-error']).toMatch(
          /malformed message: value is not JSON/,
        );
      }
      const view = (await app.get<ConsumersView>('/consumers')).body;
      expect(view.groups.map((g) => [g.processed, g.deadLettered])).toEqual([
        [2, 1],
        [2, 1],
      ]);
    } finally {
      await producer.disconnect();
      await app.close();
      await admin.deleteTopics([
        topic,
        `${topic}.${realtime}.dlq`,
        `${topic}.${analytics}.dlq`,
      ]);
    }
  });

  it('keeps the groups independent: realtime consumes while analytics is down, analytics catches up later', async () => {
    const topic = uniqueName('independent');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    const journal = join(dir, `${topic}.jsonl`);
    const env = envFor(topic, realtime, analytics, {
      CONSUMER_JOURNAL_FILE: journal,
    });
    const realtimeOnly = await TestApp.start({
      env: { ...env, APP_ROLES: 'producer,realtime' },
    });
    try {
      expect(
        (await realtimeOnly.post('/produce', { messagesPerPartition: K }))
          .status,
      ).toBe(201);
      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime alone committed everything',
      });
      expect(
        Object.values(await admin.committedOffsets(analytics, topic)),
      ).toEqual([-1, -1, -1]);
    } finally {
      await realtimeOnly.close();
    }

    const analyticsOnly = await TestApp.start({
      env: { ...env, APP_ROLES: 'analytics' },
    });
    try {
      // A new group starts from the earliest offset (CONSUMER_FROM_BEGINNING=true): it sees the backlog.
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics caught up from its own offsets',
      });
      const lines = readJournal(journal);
      expect(new Set(idsOf(lines, analytics))).toEqual(
        new Set(idsOf(lines, realtime)),
      );
      expect(idsOf(lines, analytics)).toHaveLength(K * P);
      const view = (await analyticsOnly.get<ConsumersView>('/consumers')).body;
      expect(view.groups.map((g) => g.name)).toEqual(['analytics']);
    } finally {
      await analyticsOnly.close();
      await admin.deleteTopics([topic]);
    }
  });
});
