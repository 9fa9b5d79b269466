import type { FactoryProvider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  appConfig,
  consumersConfig,
  kafkaConfig,
} from '../config/config.namespaces.js';
import { KafkaAdmin } from '../kafka/client/kafka-admin.port.js';
import type { ConsumerSettings } from '../config/configuration.js';
import { groupInstanceIdOf } from '../config/kafka-client.config.js';
import { DeadLetterPublisher } from '../kafka/consumer/dead-letter.publisher.js';
import { GroupConsumerRegistry } from '../kafka/consumer/group-consumer.registry.js';
import { RedriveConsumerServer } from '../kafka/consumer/redrive-consumer.server.js';
import {
  type GroupConsumerOptions,
  GroupConsumerServer,
} from '../kafka/consumer/group-consumer.server.js';
import type { GroupConsumerFactory } from '../kafka/client/group-consumer.port.js';
import {
  GROUP_CONSUMER_FACTORY,
  MONITOR_ADMIN,
  redriveGroupId,
  redriveTopicName,
} from '../kafka/kafka.constants.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { GroupPauseBoard } from '../kafka/control/group-pause.board.js';
import { pausableConsumers } from '../kafka/control/pausable-group-consumer.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { decodeDemoMessage } from '../messages/demo-message.js';
import { ProcessedJournal } from './processed-journal.js';

/**
 * Bound of one removal of a lost member: a cluster connection, the
 * coordinator's lookup and one LeaveGroup (the monitor's requests are short).
 */
const REMOVE_MEMBER_TIMEOUT_MS = 5_000;

export interface GroupConsumerSpec {
  provide: string;
  name: string;
  transportId: symbol;
  groupId: (settings: ConsumerSettings) => string;
}

/** Builds one group's server from config and registers it for main.ts, /consumers and health. */
export function groupConsumerProvider(
  spec: GroupConsumerSpec,
): FactoryProvider<GroupConsumerServer> {
  return {
    provide: spec.provide,
    inject: [
      GROUP_CONSUMER_FACTORY,
      consumersConfig.KEY,
      appConfig.KEY,
      TopicService,
      DeadLetterPublisher,
      GroupConsumerRegistry,
      ProcessedJournal,
      MetricsService,
      kafkaConfig.KEY,
      MONITOR_ADMIN,
      GroupPauseBoard,
    ],
    useFactory: (
      consumerFactory: GroupConsumerFactory,
      consumers: ConfigType<typeof consumersConfig>,
      app: ConfigType<typeof appConfig>,
      topics: TopicService,
      deadLetters: DeadLetterPublisher,
      registry: GroupConsumerRegistry,
      journal: ProcessedJournal,
      metrics: MetricsService,
      kafka: ConfigType<typeof kafkaConfig>,
      monitor: KafkaAdmin,
      pauses: GroupPauseBoard,
    ) => {
      const groupId = spec.groupId(consumers);
      const options: GroupConsumerOptions = {
        ...consumers,
        name: spec.name,
        transportId: spec.transportId,
        groupId,
        topic: topics.topic,
        engine: { client: kafka.client, groupProtocol: kafka.groupProtocol },
        shutdownTimeoutMs: app.shutdownTimeoutMs,
        partitionsConcurrently: () => topics.partitionCount,
        decode: decodeDemoMessage,
        onProcessed: (meta, payload) => journal.record(meta, payload),
        observer: metrics.observerFor(groupId),
        // Commits wait at most one Kafka request timeout.
        commitTimeoutMs: kafka.requestTimeoutMs,
        // The monitor's admin: short request timeouts, another broker after a failure.
        groupInstanceId: groupInstanceIdOf(kafka.groupInstanceId, spec.name),
        coordinatorAnswers: () =>
          monitor.describeGroups([groupId], topics.topic).then(() => true),
        // The monitor's admin too: its own connection, another broker after a failure.
        removeMember: (group, memberId) =>
          monitor.removeGroupMember(group, memberId, REMOVE_MEMBER_TIMEOUT_MS),
      };
      const server = new GroupConsumerServer(
        // Every member honours the group's pause (the control topic), on either engine.
        pausableConsumers(consumerFactory, pauses),
        options,
        deadLetters,
      );
      registry.register(server);
      // Redriven dead letters: the same handlers (same transport id), the
      // same pipeline, on the group's own redrive topic and consumer group.
      const redriveGroup = redriveGroupId(groupId);
      const redriveTopic = redriveTopicName(topics.topic, groupId);
      registry.registerRedrive(
        new RedriveConsumerServer(
          consumerFactory,
          {
            ...options,
            name: `${spec.name}.redrive`,
            groupId: redriveGroup,
            topic: redriveTopic,
            // A redrive written before this group first joined is still read.
            fromBeginning: true,
            partitionsConcurrently: () => 1,
            observer: undefined,
            // Dynamic: a redrive group is small and rarely busy, and with a
            // static id of its own the platformatic rolling restart moved
            // partitions of the main group (test/static-membership).
            groupInstanceId: undefined,
            // Not asked of the monitor: a hanging coordinator must not get a
            // probe every 0.5 s from each redrive reader too (with them, the
            // monitor's own reads fell behind and probes slowed in the
            // frozen-coordinator spec). A redrive reader with nothing to
            // commit resumes at once; one that has rejoins after a session.
            coordinatorAnswers: () => Promise.resolve(true),
          },
          deadLetters,
        ),
      );
      return server;
    },
  };
}
