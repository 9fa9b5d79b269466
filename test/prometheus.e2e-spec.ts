import { inject } from 'vitest';
import {
  PrometheusServer,
  type PromSeries,
} from './support/prometheus-server.js';
import { systemBinary } from './support/system-binary.js';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const prometheus = systemBinary('prometheus', 'prometheus');
const P = 3;

function byGroup(series: PromSeries[], label: string): Record<string, number> {
  return Object.fromEntries(series.map((s) => [s.metric[label], s.value]));
}

describe.skipIf(!prometheus)('a real Prometheus scraping two replicas', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('prom');
  const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
  let admin: TestAdmin;
  let front: TestApp;
  let back: TestApp | undefined;
  let server: PrometheusServer;

  const env = (roles: string) => ({
    APP_ROLES: roles,
    ...appEnv({
      brokers,
      topic,
      partitions: P,
      realtime: realtime,
      analytics: analytics,
    }),
    METRICS_BROKER_REFRESH_MS: '1000',
  });
  const lagQuery = `sum by (consumergroup) (kafka_consumergroup_lag{topic="${topic}"})`;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    front = await TestApp.start({ env: env('producer,realtime') });
    back = await TestApp.start({ env: env('analytics') });
    server = await PrometheusServer.start(prometheus ?? 'prometheus', [
      new URL(front.url).host,
      new URL(back.url).host,
    ]);
    await waitFor(
      async () => {
        const health = await server.targetHealth();
        return health.length === 2 && health.every((h) => h === 'up');
      },
      { what: 'both replicas scraped', timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    await server?.stop();
    await back?.close();
    await front?.close();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('sums lag per group to 0 after a produce, and to exactly the records produced since for a stopped group', async () => {
    expect(
      (await front.post('/produce', { messagesPerPartition: 2 })).status,
    ).toBe(201);
    await waitFor(() => admin.caughtUp(realtime, topic), {
      what: 'realtime caught up',
    });
    await waitFor(() => admin.caughtUp(analytics, topic), {
      what: 'analytics caught up',
    });
    // Scraped figures that already include the records, then lag 0 for both.
    await waitFor(
      async () => {
        const processed = byGroup(
          await server.query(
            `sum by (group) (nkg_consumer_records_processed_total{group=~"${realtime}|${analytics}"})`,
          ),
          'group',
        );
        return processed[realtime] === 2 * P && processed[analytics] === 2 * P;
      },
      { what: 'Prometheus sees 6 records processed per group' },
    );
    const settled = await waitFor(
      async () => {
        const lag = byGroup(await server.query(lagQuery), 'consumergroup');
        return lag[realtime] === 0 && lag[analytics] === 0 ? lag : undefined;
      },
      { what: 'lag 0 for both groups in Prometheus' },
    );
    expect(settled).toEqual({ [realtime]: 0, [analytics]: 0 });

    // The analytics role stops: its replica leaves the group, which Kafka now holds empty.
    await back?.close();
    back = undefined;
    await waitFor(
      async () => (await admin.describeGroup(analytics))?.state === 'Empty',
      { what: 'analytics group empty' },
    );
    const since = 3 * P;
    expect(
      (await front.post('/produce', { messagesPerPartition: 3 })).status,
    ).toBe(201);
    await waitFor(() => admin.caughtUp(realtime, topic), {
      what: 'realtime caught up again',
    });

    const lag = await waitFor(
      async () => {
        const values = byGroup(await server.query(lagQuery), 'consumergroup');
        return values[analytics] === since && values[realtime] === 0
          ? values
          : undefined;
      },
      { what: `analytics lag ${since} and realtime lag 0 in Prometheus` },
    );
    expect(lag).toEqual({ [realtime]: 0, [analytics]: since });
  });
});
