import { Inject, Injectable } from '@nestjs/common';
import { GroupPauseBoard } from '../kafka/control/group-pause.board.js';
import { pauseView } from '../kafka/control/group-pause.js';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig } from '../config/config.namespaces.js';
import type { GroupConsumerServer } from '../kafka/consumer/group-consumer.server.js';
import type { GroupConsumerState } from '../kafka/consumer/group-consumer.state.js';
import { ClusterMonitor } from './cluster-monitor.js';

/**
 * Each group's health, from the consumer's own events (no extra client):
 * - liveness fails only when the consumer crashed and kafkajs will not
 *   restart it: a state only a process restart fixes;
 * - readiness fails until the consumer has joined its group, while it is
 *   stopped or crashed (including kafkajs restarting it during a broker
 *   outage), and when a rebalance lasts longer than HEALTH_REBALANCE_GRACE_MS.
 * Zero assigned partitions (more replicas than partitions) is healthy.
 * Lag is reported in the details, never a failure, and costs no request: the
 * partitions' ends from ClusterMonitor's last read minus what this member
 * committed (null: no read of the ends yet, which kafka-topic reports).
 */
@Injectable()
export class ConsumerGroupHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: ClusterMonitor,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
    private readonly pauses: GroupPauseBoard,
  ) {}

  live(server: GroupConsumerServer) {
    const { state } = server;
    const indicator = this.indicators.check(state.name);
    const details = {
      groupId: state.groupId,
      state: state.status,
      crash: state.crash,
    };
    return state.status === 'crashed' && state.crash?.restart === false
      ? indicator.down({
          ...details,
          message: `consumer of group ${state.groupId} crashed and will not restart`,
        })
      : indicator.up(details);
  }

  /** `detailed`: the member id too (GET /health), not for probes. */
  ready(server: GroupConsumerServer, detailed: boolean) {
    const { state } = server;
    const indicator = this.indicators.check(state.name);
    const details = {
      groupId: state.groupId,
      client: state.engine.client,
      groupProtocol: state.engine.groupProtocol,
      state: state.status,
      ...(detailed ? { memberId: state.memberId } : {}),
      assignedPartitions: [...state.assignedPartitions],
      lag: this.lag(state),
      // Paused is not unhealthy: shown here, never a readiness problem.
      pause: pauseView(
        state.groupId,
        this.pauses.pause(state.groupId),
        Date.now(),
      ),
      crash: state.crash,
    };
    const problem = this.readinessProblem(state);
    return problem
      ? indicator.down({ ...details, message: problem })
      : indicator.up(details);
  }

  private readinessProblem(state: GroupConsumerState): string | null {
    if (state.failure && state.status !== 'stopped') {
      return `group ${state.groupId} ${state.failure.error}`;
    }
    switch (state.status) {
      case 'joined':
        return null;
      case 'rebalancing': {
        const since = state.rebalancingSince?.getTime() ?? Date.now();
        return Date.now() - since > this.health.rebalanceGraceMs
          ? `group ${state.groupId} has been rebalancing for over ${this.health.rebalanceGraceMs} ms`
          : null;
      }
      case 'starting':
        return `consumer has not joined group ${state.groupId} yet`;
      case 'stopped':
        return `consumer of group ${state.groupId} is stopped`;
      case 'crashed': {
        // A consumer the client restarts by itself is like a rebalance: not
        // ready only if it lasts (a request timed out in a rebalance while a
        // broker hung, and the client joined again 0.3 s later). A refusal
        // (ACLs) is not transient: readiness says what to grant at once.
        const since = state.crash?.at.getTime() ?? 0;
        return state.crash?.transient &&
          Date.now() - since <= this.health.rebalanceGraceMs
          ? null
          : `consumer of group ${state.groupId} crashed: ${state.crash?.error ?? 'unknown error'}${state.crash?.restart ? ' (restarting)' : ''}`;
      }
    }
  }

  /** Records behind the end of each assigned partition; null before the ends were read. */
  private lag(state: GroupConsumerState): Record<string, number> | null {
    const reading = this.monitor.ends;
    const ends = reading.ok ? reading.value : reading.last;
    if (!ends) {
      return state.assignedPartitions.length === 0 ? {} : null;
    }
    const lag: Record<string, number> = {};
    for (const partition of state.assignedPartitions) {
      const end = ends.find((o) => o.partition === partition);
      if (end) {
        const from = state.lastCommitted.get(partition) ?? end.low;
        lag[String(partition)] = Math.max(
          0,
          Number(BigInt(end.high) - BigInt(from)),
        );
      }
    }
    return lag;
  }
}
