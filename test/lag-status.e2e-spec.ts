import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { inject } from 'vitest';
import { AnalyticsService } from '../src/consumers/analytics/analytics.service.js';
import type { GroupMessageMeta } from '../src/kafka/consumer/group-message.context.js';
import { deadLetterTopicName } from '../src/kafka/kafka.constants.js';
import {
  type DemoMessage,
  encodeDemoMessage,
} from '../src/messages/demo-message.js';
import type { GroupLagReport } from '../src/metrics/consumer-lag.report.js';
import { dashboardView } from './support/dashboard-events.js';
import { POISON } from './support/failing-realtime.js';
import { parseMetrics, sampleValue } from './support/metrics-text.js';
import { PrometheusServer } from './support/prometheus-server.js';
import { freePort } from './support/replica-process.js';
import { systemBinary } from './support/system-binary.js';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const prometheus = systemBinary('prometheus', 'prometheus');
const P = 2;
const STOP_AFTER_MS = 3_000;
/** Lag in seconds may differ from the wall-clock age of the record by this much. */
const TOLERANCE = 0.1;
const STATUS = { OK: 0, WARN: 1, STALL: 2, STOP: 3 };

/** Analytics that refuses POISON payloads: its partition waits through the retries. */
@Injectable()
class FailingAnalyticsService extends AnalyticsService {
  override record(message: DemoMessage, meta: GroupMessageMeta): void {
    if ((message.payload as { fail?: boolean } | null)?.fail) {
      throw new Error(`refusing ${message.id}`);
    }
    super.record(message, meta);
  }
}

interface GroupsView {
  groups: { name: string; status: string; lag: GroupLagReport }[];
}

/** One lag-seconds reading and the wall-clock age of the record bracketing it. */
interface AgeReading {
  seconds: number;
  minAge: number;
  maxAge: number;
}

describe.skipIf(!prometheus)(
  'lag in seconds and lag status (real broker, real Prometheus)',
  () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('lagsec');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    let admin: TestAdmin;
    let front: TestApp;
    let back: TestApp | undefined;
    let backPort: number;
    let server: PrometheusServer;

    const env = (roles: string) => ({
      APP_ROLES: roles,
      ...appEnv({ brokers, topic, partitions: P, realtime, analytics }),
      METRICS_BROKER_REFRESH_MS: '1000',
      DASHBOARD_REFRESH_MS: '500',
      LAG_STOP_AFTER_MS: String(STOP_AFTER_MS),
      // A refused record waits 2.5 + 5 + 10 s before its dead letter; the
      // member stays in its group meanwhile.
      CONSUMER_MAX_RETRIES: '3',
      CONSUMER_RETRY_BACKOFF_MS: '2500',
      CONSUMER_SESSION_TIMEOUT_MS: '30000',
    });

    const startBack = () =>
      TestApp.start({
        env: env('analytics'),
        port: backPort,
        override: (builder) =>
          builder
            .overrideProvider(AnalyticsService)
            .useClass(FailingAnalyticsService),
      });

    async function metric(
      app: TestApp,
      name: string,
      group: string,
      partition: number,
    ): Promise<number | undefined> {
      const samples = parseMetrics((await app.get('/metrics')).text);
      return sampleValue(samples, name, {
        consumergroup: group,
        topic,
        partition: String(partition),
      });
    }

    /** kafka_consumergroup_lag_seconds, with the record's wall-clock age before and after the scrape. */
    async function ageReading(
      app: TestApp,
      group: string,
      partition: number,
      writtenAt: number,
    ): Promise<AgeReading | undefined> {
      const before = Date.now();
      const seconds = await metric(
        app,
        'kafka_consumergroup_lag_seconds',
        group,
        partition,
      );
      const after = Date.now();
      return seconds === undefined
        ? undefined
        : {
            seconds,
            minAge: (before - writtenAt) / 1_000,
            maxAge: (after - writtenAt) / 1_000,
          };
    }

    /** Readings until the record is `untilAge` seconds old: each within TOLERANCE of its age. */
    async function lagSecondsFollowWallTime(
      app: TestApp,
      group: string,
      partition: number,
      writtenAt: number,
      untilAge: number,
    ): Promise<AgeReading[]> {
      const readings: AgeReading[] = [];
      await waitFor(
        async () => {
          const reading = await ageReading(app, group, partition, writtenAt);
          if (reading && reading.seconds > 0) readings.push(reading);
          return reading && reading.minAge >= untilAge;
        },
        { what: `lag seconds of ${group}[${partition}] at ${untilAge} s` },
      );
      const measured = readings.filter((r) => r.minAge >= 1);
      for (const r of measured) {
        expect(r.seconds).toBeGreaterThanOrEqual(r.minAge * (1 - TOLERANCE));
        expect(r.seconds).toBeLessThanOrEqual(r.maxAge * (1 + TOLERANCE));
      }
      const worst = Math.max(
        ...measured.map(
          (r) =>
            Math.abs(r.seconds - (r.minAge + r.maxAge) / 2) /
            ((r.minAge + r.maxAge) / 2),
        ),
      );
      console.log(
        `${group}[${partition}] lag seconds vs wall-clock age: ${measured.length} readings from ${measured[0]?.minAge.toFixed(1)} to ${measured.at(-1)?.maxAge.toFixed(1)} s, worst relative error ${(worst * 100).toFixed(2)}%`,
      );
      expect(measured.length).toBeGreaterThanOrEqual(2);
      return measured;
    }

    /** Records with a known timestamp, written by the test's own producer. */
    async function produceAt(
      writtenAt: number,
      perPartition: Record<number, unknown[]>,
    ): Promise<void> {
      const producer = admin.producer();
      await producer.connect();
      try {
        await producer.send({
          topic,
          messages: Object.entries(perPartition).flatMap(
            ([partition, payloads]) =>
              payloads.map((payload, i) => ({
                partition: Number(partition),
                timestamp: String(writtenAt),
                value: encodeDemoMessage({
                  id: randomUUID(),
                  partition: Number(partition),
                  sequence: i + 1,
                  producedAt: new Date(writtenAt).toISOString(),
                  payload,
                }),
              })),
          ),
        });
      } finally {
        await producer.disconnect();
      }
    }

    async function groupOf(app: TestApp, name: string) {
      const view = (await app.get<GroupsView>('/consumers')).body;
      return view.groups.find((g) => g.name === name);
    }

    beforeAll(async () => {
      admin = await new TestAdmin(brokers).connect();
      backPort = await freePort();
      front = await TestApp.start({ env: env('producer,realtime') });
      back = await startBack();
      await front.untilJoined();
      await back.untilJoined();
      server = await PrometheusServer.start(prometheus ?? 'prometheus', [
        new URL(front.url).host,
        new URL(back.url).host,
      ]);
      await waitFor(
        async () => (await server.targetHealth()).every((h) => h === 'up'),
        { what: 'both apps scraped', timeoutMs: 30_000 },
      );
    });

    afterAll(async () => {
      await server?.stop();
      await back?.close();
      await front?.close();
      await admin.deleteTopics([topic, deadLetterTopicName(topic, analytics)]);
      await admin.disconnect();
    });

    it('reports lag 0 s and OK for every partition its owner reads, once caught up', async () => {
      expect(
        (await front.post('/produce', { messagesPerPartition: 2 })).status,
      ).toBe(201);
      for (const group of [realtime, analytics]) {
        await waitFor(() => admin.caughtUp(group, topic), {
          what: `${group} caught up`,
        });
      }
      for (const [app, group] of [
        [front, realtime],
        [back, analytics],
      ] as const) {
        for (let partition = 0; partition < P; partition++) {
          const figures = await waitFor(
            async () => {
              const seconds = await metric(
                app as TestApp,
                'kafka_consumergroup_lag_seconds',
                group,
                partition,
              );
              const status = await metric(
                app as TestApp,
                'nkg_consumergroup_status',
                group,
                partition,
              );
              return seconds === 0 && status === STATUS.OK
                ? { seconds, status }
                : undefined;
            },
            { what: `${group}[${partition}] at 0 s and OK` },
          );
          expect(figures).toEqual({ seconds: 0, status: STATUS.OK });
        }
      }
      expect((await groupOf(back as TestApp, 'analytics'))?.lag).toEqual({
        status: 'OK',
        partitions: [0, 1].map((partition) => ({
          partition,
          lag: 0,
          lagSeconds: 0,
          status: 'OK',
        })),
      });
    });

    it('a member stuck on a record: its lag in seconds follows the wall clock, the partition goes STOP while the member stays, then it drains to 0 s and OK', async () => {
      const app = back as TestApp;
      const writtenAt = Date.now();
      await produceAt(writtenAt, { 0: [POISON, 1, 2, 3], 1: [1, 2] });
      // The dashboard (broker reads, from now on) must see the offset stand still too.
      const dashboardStop = dashboardView(
        front.url,
        (v) => v.groups.find((g) => g.groupId === analytics)?.status === 'ERR',
        'analytics ERR',
      ).then(
        (view) => ({ view }),
        (error: unknown) => ({ error }),
      );

      // The owner's own figures: the record at its committed offset is the refused one.
      const readings = await lagSecondsFollowWallTime(
        app,
        analytics,
        0,
        writtenAt,
        STOP_AFTER_MS / 1_000 + 1,
      );
      expect(readings.at(-1)?.seconds).toBeGreaterThan(readings[0].seconds);

      const stopped = await waitFor(
        async () => {
          const group = await groupOf(app, 'analytics');
          return group?.lag.status === 'ERR' ? group : undefined;
        },
        { what: 'analytics ERR in /consumers' },
      );
      expect(stopped.status).toBe('joined');
      expect(stopped.lag.partitions).toEqual([
        {
          partition: 0,
          lag: 4,
          lagSeconds: expect.any(Number),
          status: 'STOP',
        },
        { partition: 1, lag: 0, lagSeconds: 0, status: 'OK' },
      ]);
      // Broker-side truth: the group still has its member, and p0 has not moved.
      expect((await admin.describeGroup(analytics))?.members).toHaveLength(1);
      const committed = await admin.committedOffsets(analytics, topic);
      const ends = await admin.endOffsets(topic);
      expect(ends[0] - committed[0]).toBe(4);
      expect(await metric(app, 'nkg_consumergroup_status', analytics, 0)).toBe(
        STATUS.STOP,
      );
      expect(await metric(front, 'nkg_consumergroup_status', realtime, 0)).toBe(
        STATUS.OK,
      );

      // A real Prometheus scraped the same: STOP, and the age at its scrape time.
      const selector = `{consumergroup="${analytics}",topic="${topic}",partition="0"}`;
      await waitFor(
        async () =>
          (await server.query(`nkg_consumergroup_status${selector}`))[0]
            ?.value === STATUS.STOP,
        { what: 'Prometheus sees STOP' },
      );
      const [[scraped], [scrapedAt]] = await Promise.all([
        server.query(`kafka_consumergroup_lag_seconds${selector}`),
        server.query(`timestamp(kafka_consumergroup_lag_seconds${selector})`),
      ]);
      const age = scrapedAt.value - writtenAt / 1_000;
      expect(Math.abs(scraped.value - age)).toBeLessThanOrEqual(
        age * TOLERANCE,
      );

      const shown = await dashboardStop;
      if ('error' in shown) throw shown.error;
      const band = shown.view.groups.find((g) => g.groupId === analytics);
      expect(band?.partitions.map((p) => p.status)).toEqual(['STOP', 'OK']);

      // The retries end with a dead letter; the rest of the partition follows.
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics past the refused record',
        timeoutMs: 60_000,
      });
      const drained = await waitFor(
        async () => {
          const group = await groupOf(app, 'analytics');
          return group?.lag.status === 'OK' ? group.lag : undefined;
        },
        { what: 'analytics OK again' },
      );
      expect(drained.partitions).toEqual(
        [0, 1].map((partition) => ({
          partition,
          lag: 0,
          lagSeconds: 0,
          status: 'OK',
        })),
      );
      expect(
        await metric(app, 'kafka_consumergroup_lag_seconds', analytics, 0),
      ).toBe(0);
    });

    it('a group with no member: the owner of partition 0 of another group reports its age from the records it fetched and STOP; restarted, Prometheus sees it drain to 0 s and OK', async () => {
      await back?.close();
      back = undefined;
      await waitFor(
        async () => (await admin.describeGroup(analytics))?.state === 'Empty',
        { what: 'analytics group empty' },
      );
      const writtenAt = Date.now();
      await produceAt(writtenAt, { 0: [1, 2, 3], 1: [1, 2, 3] });
      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime caught up',
      });

      for (let partition = 0; partition < P; partition++) {
        await lagSecondsFollowWallTime(
          front,
          analytics,
          partition,
          writtenAt,
          partition === 0 ? 2.5 : 4,
        );
      }
      const selector = `{consumergroup="${analytics}",topic="${topic}"}`;
      const stopped = await waitFor(
        async () => {
          const series = await server.query(
            `max by (partition) (nkg_consumergroup_status${selector})`,
          );
          return series.length === P &&
            series.every((s) => s.value === STATUS.STOP)
            ? series
            : undefined;
        },
        { what: 'Prometheus sees STOP on every partition' },
      );
      expect(stopped).toHaveLength(P);
      expect(await metric(front, 'nkg_consumergroup_status', realtime, 1)).toBe(
        STATUS.OK,
      );

      back = await startBack();
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics drained after its restart',
      });
      const backHost = new URL(back.url).host;
      const settled = await waitFor(
        async () => {
          const [seconds, status] = await Promise.all([
            server.query(`kafka_consumergroup_lag_seconds${selector}`),
            server.query(`nkg_consumergroup_status${selector}`),
          ]);
          const all = [...seconds, ...status];
          return all.length === 2 * P &&
            all.every((s) => s.value === 0 && s.metric.instance === backHost)
            ? { seconds, status }
            : undefined;
        },
        { what: 'Prometheus sees 0 s and OK from the restarted owner only' },
      );
      expect(settled.seconds.map((s) => s.value)).toEqual([0, 0]);
    });
  },
);
