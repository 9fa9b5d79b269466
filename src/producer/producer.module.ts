import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../common/api-key.guard.js';
import { ProducerController } from './producer.controller.js';
import { ProducerService } from './producer.service.js';

@Module({
  controllers: [ProducerController],
  providers: [ProducerService, ApiKeyGuard],
})
export class ProducerModule {}
