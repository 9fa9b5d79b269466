import { Module } from '@nestjs/common';
import { groupConsumerProvider } from '../group-consumer.provider.js';
import { ConsumersModule } from '../consumers.module.js';
import { REALTIME_SERVER, REALTIME_TRANSPORT } from './realtime.constants.js';
import { RealtimeController } from './realtime.controller.js';
import { RealtimeService } from './realtime.service.js';

@Module({
  imports: [ConsumersModule],
  controllers: [RealtimeController],
  providers: [
    RealtimeService,
    groupConsumerProvider({
      provide: REALTIME_SERVER,
      name: 'realtime',
      transportId: REALTIME_TRANSPORT,
      groupId: (settings) => settings.realtimeGroupId,
    }),
  ],
})
export class RealtimeModule {}
