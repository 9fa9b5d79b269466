import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker.health.js';
import { ClusterMonitor } from './cluster-monitor.js';
import { ConsumerGroupHealthIndicator } from './consumer-group.health.js';
import { HealthController } from './health.controller.js';
import { ProducerHealthIndicator } from './producer.health.js';
import { ReadinessLog } from './readiness-log.js';
import { ShutdownState } from './shutdown.state.js';
import { TopicHealthIndicator } from './topic.health.js';

@Module({
  // ReadinessLog says a change once; terminus would log every failed probe.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [
    ClusterMonitor,
    BrokerHealthIndicator,
    TopicHealthIndicator,
    ProducerHealthIndicator,
    ConsumerGroupHealthIndicator,
    ShutdownState,
    ReadinessLog,
  ],
})
export class HealthModule {}
