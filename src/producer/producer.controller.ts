import {
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';
import { ProduceRequestDto } from './dto/produce-request.dto.js';
import { type ProduceResult, ProducerService } from './producer.service.js';

@Controller()
export class ProducerController {
  constructor(private readonly producer: ProducerService) {}

  @Post('produce')
  @HttpCode(HttpStatus.CREATED)
  @UseGuards(ApiKeyGuard)
  produce(@Body() body: ProduceRequestDto): Promise<ProduceResult> {
    return this.producer.produce(body ?? {});
  }
}
