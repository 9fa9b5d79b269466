import { Logger } from '@nestjs/common';

/** A kafkajs client's instrumentation: every client kind emits REQUEST_TIMEOUT. */
interface Instrumented {
  on(
    event: string,
    listener: (event: { payload: { broker: string; apiName: string } }) => void,
  ): unknown;
  events: { REQUEST_TIMEOUT: string };
}

/**
 * Requests a broker that is alive answers at once. A produce (acks=all), an
 * offset commit, a join or a fetch may wait on purpose (for a follower to
 * replicate, for the other members, for records), so their timeouts do not
 * say which broker hangs: a frozen follower delays the healthy leader's.
 */
const ANSWERED_AT_ONCE = new Set([
  'ApiVersions',
  'Metadata',
  'ListOffsets',
  'FindCoordinator',
  'DescribeGroups',
  'DescribeConfigs',
  'Heartbeat',
  'SaslHandshake',
  'SaslAuthenticate',
]);

/**
 * Which bootstrap brokers to connect to first. A frozen broker (a long GC
 * pause, a stalled disk, SIGSTOP) keeps its sockets open, so neither client
 * sees it as down: every new client (a producer session, the cluster
 * monitor's admin, a restarted consumer) starts from `brokers[0]` and waits a
 * whole request timeout there, again and again, for as long as it hangs.
 * Fed by the cluster monitor's admin (its connections carry only requests a
 * live broker answers at once): kafkajs' REQUEST_TIMEOUT events (`watch`),
 * or the platformatic admin's metadata reads that timed out (`hung`). It
 * hands new clients the brokers that have not hung lately (when every one
 * has: all, the longest quiet first), so new connections start on one that
 * answers. Knows no client library.
 */
export class BrokerRanking {
  private readonly logger = new Logger(BrokerRanking.name);
  /** Address → until when it counts as hanging. */
  private readonly hanging = new Map<string, number>();

  constructor(
    private readonly bootstrap: readonly string[],
    private readonly holdMs = 30_000,
  ) {}

  /** The bootstrap list for a new client (kafkajs' `brokers` option reads it at each seed pick). */
  brokers(now = Date.now()): string[] {
    const answering = this.bootstrap.filter(
      (b) => (this.hanging.get(b) ?? 0) <= now,
    );
    if (answering.length > 0) return answering;
    const until = (b: string) => this.hanging.get(b) ?? 0;
    return [...this.bootstrap].sort((a, b) => until(a) - until(b));
  }

  /** Whether `broker` (host:port) hung lately: new connections avoid it. */
  isHanging(broker: string, now = Date.now()): boolean {
    return (this.hanging.get(broker) ?? 0) > now;
  }

  hung(broker: string, apiName: string, now = Date.now()): void {
    if (!ANSWERED_AT_ONCE.has(apiName)) return;
    if ((this.hanging.get(broker) ?? 0) <= now) {
      this.logger.warn(
        `broker ${broker} did not answer a ${apiName} request in time: new connections avoid it for ${this.holdMs / 1_000} s`,
      );
    }
    this.hanging.set(broker, now + this.holdMs);
  }

  /** Listens to one client's request timeouts. */
  watch<T extends Instrumented>(client: T): T {
    client.on(client.events.REQUEST_TIMEOUT, ({ payload }) =>
      this.hung(payload.broker, payload.apiName),
    );
    return client;
  }
}
