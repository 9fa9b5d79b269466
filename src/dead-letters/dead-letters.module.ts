import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller.js';
import { DeadLettersService } from './dead-letters.service.js';
import { RedriveService } from './redrive.service.js';

/** GET /dead-letters and POST /dead-letters/redrive, on every replica (any role). */
@Module({
  controllers: [DeadLettersController],
  providers: [DeadLettersService, RedriveService],
  exports: [DeadLettersService],
})
export class DeadLettersModule {}
