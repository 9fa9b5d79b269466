import { Module } from '@nestjs/common';
import { ConsumersController } from './consumers.controller.js';
import { GroupPauseController } from './group-pause.controller.js';
import { ProcessedJournal } from './processed-journal.js';

/** GET /consumers (always served, empty on a producer-only replica) and what both groups share. */
@Module({
  controllers: [ConsumersController, GroupPauseController],
  providers: [ProcessedJournal],
  exports: [ProcessedJournal],
})
export class ConsumersModule {}
