import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig } from '../config/config.namespaces.js';
import { KafkaAdmin } from '../kafka/client/kafka-admin.port.js';
import type { GroupConsumerServer } from '../kafka/group-consumer.server.js';
import type { GroupConsumerState } from '../kafka/group-consumer.state.js';
import type { TopicEnds } from './topic.health.js';

/**
 * Each group's health, from the consumer's own events (no extra client):
 * - liveness fails only when the consumer crashed and kafkajs will not
 *   restart it: a state only a process restart fixes;
 * - readiness fails until the consumer has joined its group, while it is
 *   stopped or crashed (including kafkajs restarting it during a broker
 *   outage), and when a rebalance lasts longer than HEALTH_REBALANCE_GRACE_MS.
 * Zero assigned partitions (more replicas than partitions) is healthy.
 * Lag is reported in the details, never a failure (null: a partition leader
 * did not answer, which the kafka-topic check reports).
 */
@Injectable()
export class ConsumerGroupHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly admin: KafkaAdmin,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
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
  async ready(server: GroupConsumerServer, detailed: boolean, ends: TopicEnds) {
    const { state } = server;
    const indicator = this.indicators.check(state.name);
    const details = {
      groupId: state.groupId,
      state: state.status,
      ...(detailed ? { memberId: state.memberId } : {}),
      assignedPartitions: [...state.assignedPartitions],
      lag: await this.lag(state, ends),
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
      case 'crashed':
        return `consumer of group ${state.groupId} crashed: ${state.crash?.error ?? 'unknown error'}${state.crash?.restart ? ' (restarting)' : ''}`;
    }
  }

  /** Records behind the end of each assigned partition; null when the broker did not answer. */
  private async lag(
    state: GroupConsumerState,
    readEnds: TopicEnds,
  ): Promise<Record<string, number> | null> {
    if (state.assignedPartitions.length === 0) {
      return {};
    }
    try {
      const timeoutMs = this.health.brokerTimeoutMs;
      const [ends, committed] = await Promise.all([
        readEnds(),
        this.admin.committedOffsets(state.groupId, state.topic, timeoutMs),
      ]);
      const lag: Record<string, number> = {};
      for (const partition of state.assignedPartitions) {
        const end = ends.find((o) => o.partition === partition);
        if (end) {
          const done = committed.get(partition) ?? '-1';
          const from = done === '-1' ? end.low : done;
          lag[String(partition)] = Number(BigInt(end.high) - BigInt(from));
        }
      }
      return lag;
    } catch {
      return null;
    }
  }
}
