import { inject } from 'vitest';
import { RealtimeService } from '../src/consumers/realtime/realtime.service.js';
import { KafkaProducer } from '../src/kafka/client/kafka-producer.port.js';
import {
  parseMetrics,
  type Sample,
  sampleValue,
} from './support/metrics-text.js';
import { openHandles } from './support/open-handles.js';
import { FailingRealtimeService, POISON } from './support/failing-realtime.js';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const P = 3;

describe('GET /metrics (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('metrics');
  const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
  let app: TestApp;
  let admin: TestAdmin;

  async function scrape(): Promise<Sample[]> {
    const answer = await app.get('/metrics');
    expect(answer.status).toBe(200);
    return parseMetrics(answer.text);
  }

  function counter(samples: Sample[], name: string, group: string): number {
    return sampleValue(samples, `nkg_consumer_${name}_total`, { group }) ?? NaN;
  }

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    app = await TestApp.start({
      env: {
        ...appEnv({
          brokers,
          topic,
          partitions: P,
          realtime: realtime,
          analytics: analytics,
        }),
        CONSUMER_MAX_RETRIES: '1',
        CONSUMER_RETRY_BACKOFF_MS: '10',
      },
      override: (builder) =>
        builder
          .overrideProvider(RealtimeService)
          .useClass(FailingRealtimeService),
    });
    await app.untilJoined();
  });

  afterAll(async () => {
    await app.close();
    await admin.deleteTopics([topic, `${topic}.${realtime}.dlq`]);
    await admin.disconnect();
  });

  it('moves the counters by exactly the records produced, the dead letter only in its group, and ends with lag 0 at the broker-side committed offsets', async () => {
    const before = await scrape();
    expect(
      (await app.post('/produce', { messagesPerPartition: 2 })).status,
    ).toBe(201);
    expect(
      (
        await app.post('/produce', {
          partitions: [1],
          messagesPerPartition: 1,
          payload: POISON,
        })
      ).status,
    ).toBe(201);
    const produced = P * 2 + 1;
    await waitFor(() => admin.caughtUp(realtime, topic), {
      what: 'realtime committed everything',
    });
    await waitFor(() => admin.caughtUp(analytics, topic), {
      what: 'analytics committed everything',
    });

    const committed = {
      [realtime]: await admin.committedOffsets(realtime, topic),
      [analytics]: await admin.committedOffsets(analytics, topic),
    };
    // The replica reports its commits once the commit answer arrived: poll for it.
    const after = await waitFor(
      async () => {
        const samples = await scrape();
        const settled = [realtime, analytics].every((group) =>
          Array.from({ length: P }, (_, p) => p).every(
            (p) =>
              sampleValue(samples, 'kafka_consumergroup_current_offset', {
                consumergroup: group,
                partition: String(p),
              }) === committed[group][p],
          ),
        );
        return settled ? samples : undefined;
      },
      { what: 'current offsets equal to the broker-side committed offsets' },
    );

    const moved = (name: string, group: string) =>
      counter(after, name, group) - counter(before, name, group);
    expect(moved('records_processed', realtime)).toBe(produced - 1);
    expect(moved('records_dead_lettered', realtime)).toBe(1);
    expect(moved('records_retried', realtime)).toBe(1);
    expect(moved('records_processed', analytics)).toBe(produced);
    expect(moved('records_dead_lettered', analytics)).toBe(0);
    expect(moved('records_retried', analytics)).toBe(0);
    expect(
      (sampleValue(after, 'nkg_producer_records_total') ?? 0) -
        (sampleValue(before, 'nkg_producer_records_total') ?? 0),
    ).toBe(produced);
    expect(
      sampleValue(after, 'nkg_producer_requests_total', { outcome: 'ok' }),
    ).toBe(2);
    expect(
      sampleValue(after, 'nkg_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/produce',
        status: '201',
      }),
    ).toBe(2);

    const lag = after.filter((s) => s.name === 'kafka_consumergroup_lag');
    expect(
      lag
        .map((s) => [s.labels.consumergroup, s.labels.partition, s.value])
        .sort(),
    ).toEqual(
      [realtime, analytics]
        .flatMap((group) =>
          Array.from({ length: P }, (_, p) => [group, String(p), 0]),
        )
        .sort(),
    );
    expect(lag.every((s) => s.labels.topic === topic)).toBe(true);
    for (const group of [realtime, analytics]) {
      expect(
        sampleValue(after, 'nkg_consumer_assigned_partitions', { group }),
      ).toBe(P);
      expect(
        sampleValue(after, 'nkg_consumer_handler_duration_seconds_count', {
          group,
        }),
      ).toBe(
        counter(after, 'records_processed', group) +
          counter(after, 'records_dead_lettered', group),
      );
    }
    expect(
      sampleValue(after, 'nodejs_eventloop_lag_p99_seconds'),
    ).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(
      0,
    );
  });

  it('serves 1000 scrapes without opening broker connections or growing handles', async () => {
    const brokerPort = Number(brokers[0].split(':')[1]);
    await scrape();
    // The first test's sends left the producer setting up spare sessions in
    // the background (kafkajs): their connections are not the scrapes'.
    await app.app.get(KafkaProducer).settled();
    const before = openHandles(brokerPort);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      expect((await app.get('/metrics')).status).toBe(200);
    }
    const msPerScrape = (performance.now() - started) / 1000;
    const after = openHandles(brokerPort);
    console.log(
      `1000 scrapes (2 groups x ${P} partitions): ${msPerScrape.toFixed(2)} ms per scrape; handles ${JSON.stringify(before)} -> ${JSON.stringify(after)}`,
    );
    expect(after.brokerSockets).toBe(before.brokerSockets);
    expect(after.total - before.total).toBeLessThan(10);
  });
});
