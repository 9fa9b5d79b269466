import { createRequire } from 'node:module';
import type { MockInstance } from 'vitest';
import { inject } from 'vitest';
import { deadLetterTopicName } from '../src/kafka/kafka.constants.js';
import type { ProduceResult } from '../src/producer/producer.service.js';
import { TestAdmin } from './support/test-admin.js';
import { TestApp, ownTopicEnv } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const require = createRequire(import.meta.url);

/*
 * kafkajs' own classes, one per process: no fix reloads these files, so the
 * service's clients and these names share them. Each check below watches one
 * of them while the service's own clients work, for a call only kafkajs'
 * unpatched code makes (or an argument only it passes).
 */
interface ProduceRequest {
  topicData: { topic: string }[];
}
interface KafkajsBroker {
  connectionPool: { host: string; port: number };
  produce(request: ProduceRequest): Promise<unknown>;
}
const Decoder = require('kafkajs/src/protocol/decoder.js') as {
  prototype: { readVarLong(): unknown };
};
const Encoder = require('kafkajs/src/protocol/encoder.js') as {
  prototype: { writeVarLong(value: number): unknown };
};
const Broker = require('kafkajs/src/broker/index.js') as {
  prototype: KafkajsBroker;
};
const Cluster = require('kafkajs/src/cluster/index.js') as {
  prototype: { removeBroker(broker: { host: string; port: number }): void };
};
const { KafkaJSRequestTimeoutError } = require('kafkajs/src/errors.js') as {
  KafkaJSRequestTimeoutError: new (
    message: string,
    options: { broker: string },
  ) => Error;
};

const PARTITIONS = 2;
const REQUEST_QUEUE = 'kafkajs/src/network/requestQueue/index.js';

interface RequestQueuePrototype {
  scheduleCheckPendingRequests(): void;
  __clampedTimeout?: true;
}

/**
 * Puts kafkajs' own throttle check back on its request queue: test support
 * applies the fix for the test's own clients when it loads, and the check
 * below must see the service apply it. The original comes from a second,
 * private load of kafkajs' file.
 */
function undoThrottleCheckFix(): void {
  const path = require.resolve(REQUEST_QUEUE);
  const shared = require(path) as { prototype: RequestQueuePrototype };
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    const own = require(path) as { prototype: RequestQueuePrototype };
    shared.prototype.scheduleCheckPendingRequests =
      own.prototype.scheduleCheckPendingRequests;
    delete shared.prototype.__clampedTimeout;
  } finally {
    require.cache[path] = cached;
  }
}

/**
 * Each kafkajs fix in src/kafka/kafkajs, live in the clients the service
 * builds for itself (the app as main.ts builds it, kafkajs engine): its spec
 * proves the fix against kafkajs' code; this proves the service's clients run
 * it, so a module that captured kafkajs' original function would fail here.
 */
describe('the kafkajs fixes, live in the service’s own clients (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('patches-live');
  const warmUp = uniqueName('patches-warm-up');
  const env = ownTopicEnv(brokers, topic, PARTITIONS);
  let admin: TestAdmin;
  let app: TestApp;
  // Installed before the app is built: every record any of its clients
  // decodes or encodes is seen, from its first fetch on.
  let readVarLong: MockInstance;
  let writeVarLong: MockInstance;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    await useKafkajsOwnRecordCode();
    undoThrottleCheckFix();
    readVarLong = vi.spyOn(Decoder.prototype, 'readVarLong');
    writeVarLong = vi.spyOn(Encoder.prototype, 'writeVarLong');
    app = await TestApp.start({
      env: {
        ...env,
        KAFKA_CLIENT: 'kafkajs',
        KAFKA_GROUP_PROTOCOL: 'classic',
        // The produce-retry check makes one send wait out a silent leader (2 s).
        PRODUCE_TIMEOUT_MS: '20000',
      },
    });
    await app.untilJoined();
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await app?.close();
    await admin.deleteTopics([
      topic,
      warmUp,
      deadLetterTopicName(topic, env.REALTIME_GROUP_ID),
      deadLetterTopicName(topic, env.ANALYTICS_GROUP_ID),
    ]);
    await admin.disconnect();
  });

  /**
   * A produce and a fetch with kafkajs' own code before the service builds
   * its clients: kafkajs' produce and fetch modules load now and capture its
   * record encoder and decoder, as anything in the process that used kafkajs
   * first would. The fixes must not leave the service's clients on those.
   */
  async function useKafkajsOwnRecordCode(): Promise<void> {
    await admin.createTopic(warmUp, 1);
    const producer = admin.producer();
    await producer.connect();
    try {
      await producer.send({ topic: warmUp, messages: [{ value: 'first' }] });
    } finally {
      await producer.disconnect();
    }
    await admin.readRecords(warmUp, 1);
  }

  /** POST /produce of `perPartition` records per partition; their count on the broker. */
  async function produce(perPartition: number): Promise<number> {
    const before = await admin.endOffsets(topic);
    const answer = await app.post<ProduceResult>('/produce', {
      messagesPerPartition: perPartition,
      payload: { check: 'patches-live' },
    });
    expect(answer.status).toBe(201);
    const after = await admin.endOffsets(topic);
    let written = 0;
    for (let p = 0; p < PARTITIONS; p++) written += after[p] - before[p];
    return written;
  }

  it('encodes what the service produces with the record encoding fix (kafkajs’ encoder writes a varlong per record)', async () => {
    writeVarLong.mockClear();

    expect(await produce(5)).toBe(5 * PARTITIONS);

    // kafkajs' record encoder is the only caller of writeVarLong (each
    // record's timestamp delta); the fix writes records into one buffer itself.
    expect(writeVarLong).not.toHaveBeenCalled();
  });

  it('decodes what the service’s groups fetch with the record decoding fix (kafkajs’ decoder reads a Long varlong per record)', async () => {
    readVarLong.mockClear();

    const written = await produce(5);
    const { REALTIME_GROUP_ID: realtime, ANALYTICS_GROUP_ID: analytics } = env;
    // Both groups commit only records their handler took: every record was decoded.
    await waitFor(
      async () =>
        (await admin.caughtUp(realtime, topic)) &&
        (await admin.caughtUp(analytics, topic)),
      { what: 'both groups committed to the end offsets' },
    );

    expect(written).toBe(5 * PARTITIONS);
    // kafkajs' record decoder is the only caller of readVarLong (each
    // record's timestamp delta); the fix reads short varlongs from the buffer.
    expect(readVarLong).not.toHaveBeenCalled();
  });

  it('schedules the request queue’s pending-request check with a delay never below 0 (kafkajs: about -1.8e12 ms)', async () => {
    const delays: number[] = [];
    const negativeWarnings: string[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.name === 'TimeoutNegativeWarning') {
        negativeWarnings.push(warning.message);
      }
    };
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      callback: (...args: unknown[]) => void,
      delay?: number,
      ...args: unknown[]
    ) => {
      // The request queue's own scheduling, whichever function is in place.
      if (new Error().stack?.includes('scheduleCheckPendingRequests')) {
        delays.push(Number(delay));
      }
      return realSetTimeout(callback, delay, ...args);
    }) as typeof setTimeout);
    process.on('warning', onWarning);
    try {
      // Every answer the service's clients receive schedules a check: its
      // consumers' fetches and heartbeats and this produce are plenty.
      await produce(1);
      await waitFor(() => delays.length >= 20, {
        what: 'the request queues scheduling their checks',
      });
    } finally {
      spy.mockRestore();
      process.off('warning', onWarning);
    }

    expect(delays.filter((delay) => !(delay >= 0))).toEqual([]);
    // Node 24 writes this warning for a negative delay (Node 20 clamps silently).
    expect(negativeWarnings).toEqual([]);
  });

  it('produces with the settled produce retries: a leader whose request timed out is forgotten and the records are written once', async () => {
    const produceToBroker = Broker.prototype.produce;
    let failed: string | undefined;
    // The leader hangs on the first request for this topic: kafkajs' own
    // timeout error, as its request queue raises it, without a write.
    const hang = vi
      .spyOn(Broker.prototype, 'produce')
      .mockImplementation(async function (
        this: KafkajsBroker,
        request: ProduceRequest,
      ) {
        if (!failed && request.topicData.some((t) => t.topic === topic)) {
          const { host, port } = this.connectionPool;
          failed = `${host}:${port}`;
          throw new KafkaJSRequestTimeoutError('Request Produce timed out', {
            broker: failed,
          });
        }
        return produceToBroker.call(this, request);
      });
    const removeBroker = vi.spyOn(Cluster.prototype, 'removeBroker');
    let removed: unknown[][];
    try {
      expect(await produce(3)).toBe(3 * PARTITIONS);
    } finally {
      // Restoring a spy also forgets its calls.
      removed = [...removeBroker.mock.calls];
      hang.mockRestore();
      removeBroker.mockRestore();
    }

    expect(failed).toBeDefined();
    const [host, port] = [
      failed!.slice(0, failed!.lastIndexOf(':')),
      Number(failed!.slice(failed!.lastIndexOf(':') + 1)),
    ];
    // kafkajs' sendMessages forgets a broker only when its connection closed,
    // and retries a timed-out leader on the old metadata.
    expect(removed).toContainEqual([{ host, port }]);
  });
});
