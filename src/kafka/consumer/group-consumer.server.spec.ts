import type {
  ConsumedRecord,
  GroupConsumerPort,
  GroupConsumerRun,
  GroupMembershipEvents,
  RecordBatch,
} from '../client/group-consumer.port.js';
import type { DeadLetterPublisher } from './dead-letter.publisher.js';
import { GroupConsumerServer } from './group-consumer.server.js';
import { plainMeta } from './record-pipeline.js';
import type {
  GroupMessageMeta,
  GroupRecords,
} from './group-message.context.js';
import {
  GROUP_BATCH_PATTERN,
  GROUP_MESSAGE_PATTERN,
} from '../kafka.constants.js';

/** The client port in memory: records what the server commits, pauses and leaves. */
class FakeConsumer implements GroupConsumerPort {
  started?: GroupConsumerRun;
  events?: GroupMembershipEvents;
  readonly commits: Array<Array<{ partition: number; offset: string }>> = [];
  paused = false;
  disconnected = false;
  /** The next commits that never get an answer (a hanging coordinator). */
  hangingCommits = 0;

  run(run: GroupConsumerRun, events: GroupMembershipEvents): Promise<void> {
    this.started = run;
    this.events = events;
    return Promise.resolve();
  }

  /** Hands a batch over as the client would. */
  deliver(batch: RecordBatch): Promise<void> {
    return this.started!.eachBatch(batch);
  }

  pauses = 0;

  pause(): void {
    this.paused = true;
    this.pauses++;
  }

  resume(): void {
    this.paused = false;
  }

  commit(
    _topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    if (this.disconnected) throw new Error('commit after disconnect');
    if (this.hangingCommits > 0) {
      this.hangingCommits--;
      return new Promise<void>(() => undefined);
    }
    this.commits.push([...offsets]);
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
}

function batchOf(partition: number, offsets: string[]) {
  const resolved: string[] = [];
  const records: ConsumedRecord[] = offsets.map((offset) => ({
    offset,
    key: null,
    value: Buffer.from(JSON.stringify({ offset })),
    headers: {},
    timestamp: '0',
  }));
  const batch: RecordBatch = {
    topic: 't',
    partition,
    highWatermark: String(Number(offsets[offsets.length - 1]) + 1),
    records,
    isActive: () => true,
    resolve: (offset) => resolved.push(offset),
    heartbeat: () => Promise.resolve(),
  };
  return { batch, resolved };
}

type Mode = 'per-record handler' | 'batch handler';

/** The options every server of this spec shares (each gets its own transportId). */
const SERVER_OPTIONS = {
  name: 'test',
  groupId: 'g',
  topic: 't',
  fromBeginning: true,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  maxRetries: 1,
  retryBackoffMs: 0,
  shutdownTimeoutMs: 5_000,
  partitionsConcurrently: () => 3,
  commitTimeoutMs: 50,
  coordinatorAnswers: () => Promise.resolve(true),
};

/** A server on a fake port, joined with partition 0, whose handler calls `handle` per record. */
async function joinedServer(
  mode: Mode,
  handle: (payload: { offset: string }, server: GroupConsumerServer) => void,
  batchHandler?: (records: GroupRecords) => void,
) {
  const fake = new FakeConsumer();
  const deadLettered: GroupMessageMeta[] = [];
  const journal: string[] = [];
  const deadLetters = {
    ensureTopic: () => Promise.resolve('t.g.dlq'),
    publish: (_group: string, meta: GroupMessageMeta) => {
      deadLettered.push(plainMeta(meta));
      return Promise.resolve();
    },
  } as unknown as DeadLetterPublisher;
  const server = new GroupConsumerServer(
    () => fake,
    {
      ...SERVER_OPTIONS,
      transportId: Symbol('test'),
      decode: (value) => JSON.parse(value?.toString() ?? '') as unknown,
      onProcessed: (meta) => journal.push(meta.offset),
    },
    deadLetters,
  );
  if (mode === 'batch handler') {
    server.addHandler(
      GROUP_BATCH_PATTERN,
      (records: GroupRecords<{ offset: string }>) => {
        if (batchHandler) batchHandler(records);
        else for (const { payload } of records) handle(payload, server);
        return Promise.resolve();
      },
      true,
    );
  } else {
    server.addHandler(
      GROUP_MESSAGE_PATTERN,
      (payload: { offset: string }) => {
        handle(payload, server);
        return Promise.resolve();
      },
      true,
    );
  }
  let listenError: unknown;
  await server.listen((error) => (listenError = error));
  expect(listenError).toBeUndefined();
  fake.events!.joined('member-1', true, [0]);
  return { server, fake, deadLettered, journal };
}

describe.each<Mode>(['per-record handler', 'batch handler'])(
  'GroupConsumerServer on a fake client port, %s',
  (mode) => {
    it('a handler failure in the middle of a batch dead-letters only that record and commits past it', async () => {
      const { server, fake, deadLettered, journal } = await joinedServer(
        mode,
        ({ offset }) => {
          if (offset === '11') throw new Error('poison');
        },
      );
      const { batch, resolved } = batchOf(0, ['10', '11', '12']);

      await fake.deliver(batch);
      await server.close();

      expect(journal).toEqual(['10', '12']);
      expect(deadLettered.map((m) => [m.offset, m.attempt])).toEqual([
        ['11', 2],
      ]);
      expect(resolved).toEqual(['12']);
      expect(fake.commits.at(-1)).toEqual([{ partition: 0, offset: '13' }]);
      expect(server.state.snapshot()).toMatchObject({
        processed: 2,
        deadLettered: 1,
        retried: 1,
        lastCommitted: { '0': '13' },
      });
      expect(fake.disconnected).toBe(true);
    });

    it('a commit that times out pauses fetching until a retried commit goes through', async () => {
      const { server, fake, journal } = await joinedServer(mode, () => {});
      fake.hangingCommits = 1;

      await fake.deliver(batchOf(0, ['30', '31']).batch);
      await vi.waitFor(() => expect(fake.commits).toHaveLength(1));

      expect(fake.pauses).toBe(1);
      expect(fake.paused).toBe(false);
      expect(journal).toEqual(['30', '31']);
      expect(fake.commits[0]).toEqual([{ partition: 0, offset: '32' }]);
      await server.close();
    });

    it('a shutdown mid-batch stops between records and commits exactly what was handled, before leaving', async () => {
      let closing: Promise<void> | undefined;
      const { fake, journal } = await joinedServer(
        mode,
        ({ offset }, server) => {
          if (offset === '21') closing = server.close();
        },
      );
      const { batch, resolved } = batchOf(0, ['20', '21', '22', '23']);

      await fake.deliver(batch);
      await closing;

      expect(journal).toEqual(['20', '21']);
      expect(resolved).toEqual(['21']);
      expect(fake.paused).toBe(true);
      expect(fake.commits.at(-1)).toEqual([{ partition: 0, offset: '22' }]);
      expect(fake.disconnected).toBe(true);
    });

    it('stops a batch whose partition is being taken away, and commits nothing for a partition it no longer owns', async () => {
      let active = true;
      const { server, fake, journal } = await joinedServer(
        mode,
        ({ offset }) => {
          if (offset === '31') active = false;
        },
      );
      const { batch, resolved } = batchOf(0, ['30', '31', '32']);
      batch.isActive = () => active;

      await fake.deliver(batch);
      expect(journal).toEqual(['30', '31']);
      expect(resolved).toEqual(['31']);

      void fake.events!.rebalancing();
      fake.events!.joined('member-1', true, [1]);
      const moved = batchOf(0, ['32']);
      await fake.deliver(moved.batch);
      await server.close();

      expect(journal).toEqual(['30', '31', '32']);
      expect(fake.commits.flat().map((c) => c.offset)).not.toContain('33');
    });

    it('dead-letters a record that cannot be decoded at once, and goes on after it', async () => {
      const { server, fake, deadLettered, journal } = await joinedServer(
        mode,
        () => undefined,
      );
      const { batch, resolved } = batchOf(0, ['40', '41', '42']);
      (batch.records[1] as { value: Buffer }).value = Buffer.from('not json');

      await fake.deliver(batch);
      await server.close();

      expect(journal).toEqual(['40', '42']);
      expect(deadLettered.map((m) => [m.offset, m.attempt])).toEqual([
        ['41', 0],
      ]);
      expect(resolved).toEqual(['42']);
      expect(fake.commits.at(-1)).toEqual([{ partition: 0, offset: '43' }]);
      expect(server.state.snapshot()).toMatchObject({
        processed: 2,
        deadLettered: 1,
        retried: 0,
      });
    });
  },
);

describe('GroupConsumerServer on a fake client port, a batch handler that throws holding no record', () => {
  const fails = new Error("not a record's fault");
  it.each<[string, (records: GroupRecords) => void, string[], string[]]>([
    [
      'before taking one: each record is retried alone, then dead-lettered',
      () => {
        throw fails;
      },
      ['60', '61', '62'],
      [],
    ],
    [
      'after its last one: the records it moved past are handled',
      (records) => {
        for (const record of records) void record;
        throw fails;
      },
      [],
      ['60', '61', '62'],
    ],
  ])('%s', async (_name, handler, dead, handled) => {
    const { server, fake, deadLettered, journal } = await joinedServer(
      'batch handler',
      () => undefined,
      handler,
    );
    const { batch, resolved } = batchOf(0, ['60', '61', '62']);

    await fake.deliver(batch);
    await server.close();

    expect(deadLettered.map((m) => m.offset)).toEqual(dead);
    expect(journal).toEqual(handled);
    expect(resolved).toEqual(['62']);
    expect(fake.commits.at(-1)).toEqual([{ partition: 0, offset: '63' }]);
  });
});

describe('GroupConsumerServer at boot, a topic some broker does not know yet', () => {
  it('starts again on a fresh client after UNKNOWN_TOPIC_OR_PARTITION, and leaves the failed one', async () => {
    const consumers: FakeConsumer[] = [];
    const server = new GroupConsumerServer(
      () => {
        const fake = new FakeConsumer();
        if (consumers.length === 0) {
          // What kafkajs' subscribe throws when its metadata broker lags.
          fake.run = () =>
            Promise.reject(
              Object.assign(
                new Error('This server does not host this topic-partition'),
                { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
              ),
            );
        }
        consumers.push(fake);
        return fake;
      },
      {
        ...SERVER_OPTIONS,
        transportId: Symbol('test'),
        decode: (value) => value,
      },
      {
        ensureTopic: () => Promise.resolve('t.g.dlq'),
      } as unknown as DeadLetterPublisher,
    );
    server.addHandler(GROUP_BATCH_PATTERN, () => Promise.resolve(), true);
    const outcome = await new Promise<unknown>((resolve) => {
      void server.listen((error) => resolve(error ?? 'started'));
    });
    expect(outcome).toBe('started');
    expect(consumers).toHaveLength(2);
    expect(consumers[0].disconnected).toBe(true);
    expect(consumers[1].started?.topic).toBe('t');
    expect(server.unwrap()).toBe(consumers[1]);
  });
});
