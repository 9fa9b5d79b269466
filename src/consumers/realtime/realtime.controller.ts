import { Controller, type MessageEvent, Sse, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { KeyProtected } from '../../common/api-key.guard.js';
import { GROUP_BATCH_PATTERN } from '../../kafka/kafka.constants.js';
import type { GroupRecords } from '../../kafka/consumer/group-message.context.js';
import { RethrowRpcErrorsFilter } from '../../kafka/consumer/rethrow-rpc-errors.filter.js';
import type { DemoMessage } from '../../messages/demo-message.js';
import { REALTIME_TRANSPORT } from './realtime.constants.js';
import { RealtimeService } from './realtime.service.js';

@ApiTags('realtime')
@Controller('realtime')
export class RealtimeController {
  constructor(private readonly realtime: RealtimeService) {}

  // Bound to the realtime server only: without the transport id every Kafka
  // server in the app would run this handler too (nestjs/nest#13421).
  @EventPattern<string>(GROUP_BATCH_PATTERN, REALTIME_TRANSPORT)
  @UseFilters(RethrowRpcErrorsFilter)
  handle(@Payload() records: GroupRecords<DemoMessage>): void {
    // One call per run of a partition's records: a throw retries the record
    // held, alone (GroupRecords).
    for (const { payload, meta } of records) {
      this.realtime.handle(payload, meta);
    }
  }

  @Sse('stream')
  // Record keys and payloads are data, not telemetry.
  @KeyProtected()
  @ApiOperation({
    summary:
      "Server-Sent Events: every record this replica's realtime member handles, with its latency",
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'One `message` event per record: {id, topic, partition, offset, sequence, key, producedAt, consumedAt, latencyMs, payload}',
  })
  stream(): Observable<MessageEvent> {
    return this.realtime
      .stream()
      .pipe(map((event) => ({ type: 'message', data: event })));
  }
}
