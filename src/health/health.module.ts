import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker.health.js';
import { ConsumerGroupHealthIndicator } from './consumer-group.health.js';
import { HealthController } from './health.controller.js';
import { ProducerHealthIndicator } from './producer.health.js';
import { ShutdownState } from './shutdown.state.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [
    BrokerHealthIndicator,
    ProducerHealthIndicator,
    ConsumerGroupHealthIndicator,
    ShutdownState,
  ],
})
export class HealthModule {}
