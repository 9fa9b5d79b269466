import { Controller, Get, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { hostname } from 'node:os';
import { appConfig } from '../config/config.namespaces.js';
import { GroupConsumerRegistry } from '../kafka/group-consumer.registry.js';
import type { GroupConsumerSnapshot } from '../kafka/group-consumer.state.js';

export interface ConsumersView {
  replica: { hostname: string; pid: number; roles: string[] };
  groups: GroupConsumerSnapshot[];
}

@Controller('consumers')
export class ConsumersController {
  constructor(
    private readonly registry: GroupConsumerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** Each consumer group this replica runs: member, state, partitions, counters, commits. */
  @Get()
  list(): ConsumersView {
    return {
      replica: {
        hostname: hostname(),
        pid: process.pid,
        roles: this.app.roles,
      },
      groups: this.registry.all().map((server) => server.state.snapshot()),
    };
  }
}
