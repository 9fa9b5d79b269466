import type { ConfigType } from '@nestjs/config';
import type { kafkaConfig } from '../../config/config.namespaces.js';
import type { KafkaAdmin } from '../client/kafka-admin.port.js';
import { TopicService } from './topic.service.js';

/** A broker error of `type`, as the adapters raise them. */
const brokerError = (type: string) =>
  Object.assign(new Error('This server does not host this topic-partition'), {
    type,
  });

describe('TopicService', () => {
  it('reads the replication of a topic just created again while a broker does not know it yet (/health names it)', async () => {
    let reads = 0;
    const admin = {
      describeCluster: async () => ({ brokers: [1, 2, 3] }),
      listTopics: async () => ['demo'],
      partitionCount: async () => 3,
      topicReplication: async () => {
        if (++reads === 1) throw brokerError('UNKNOWN_TOPIC_OR_PARTITION');
        return { replicationFactor: 3, minInsyncReplicas: 2 };
      },
    } as unknown as KafkaAdmin;
    const config = {
      topic: 'demo',
      topicPartitions: 3,
      topicReplicationFactor: undefined,
    } as unknown as ConfigType<typeof kafkaConfig>;
    const topics = new TopicService(admin, config);

    await topics.provision();

    expect(reads).toBe(2);
    expect(topics.replication).toEqual({
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
  });
});
