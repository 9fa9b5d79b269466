import type { TestProject } from 'vitest/node';
import { ensureLocalBroker } from '../support/kafka-broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

/**
 * Uses KAFKA_BROKERS when it answers; otherwise starts the local broker on
 * its port (default 127.0.0.1:9092) and stops it afterwards. A broker that
 * was already running is left running, and so is ours with KAFKA_KEEP_BROKER=1.
 */
export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim());
  project.provide('kafkaBrokers', brokers);
  const startedHere = await ensureLocalBroker(brokers);
  return async () => {
    if (startedHere && process.env.KAFKA_KEEP_BROKER !== '1') {
      await startedHere.stop();
    }
  };
}
