import {
  Controller,
  Get,
  Inject,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { KeyProtected } from '../common/api-key.guard.js';
import { appConfig } from '../config/config.namespaces.js';
import { GroupConsumerRegistry } from '../kafka/consumer/group-consumer.registry.js';
import { BrokerHealthIndicator } from './broker.health.js';
import { ConsumerGroupHealthIndicator } from './consumer-group.health.js';
import { ProducerHealthIndicator } from './producer.health.js';
import { ReadinessLog } from './readiness-log.js';
import { ShutdownState } from './shutdown.state.js';
import { TopicHealthIndicator } from './topic.health.js';

/**
 * Policy (docs/operations.md, "Health policy"): liveness fails only for what a restart fixes (a
 * consumer that crashed for good); a broker outage fails readiness only, so
 * an orchestrator stops routing to replicas instead of restarting them all.
 * GET /health is readiness with every detail.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: GroupConsumerRegistry,
    private readonly broker: BrokerHealthIndicator,
    private readonly topic: TopicHealthIndicator,
    private readonly producer: ProducerHealthIndicator,
    private readonly groups: ConsumerGroupHealthIndicator,
    private readonly shutdown: ShutdownState,
    private readonly readinessLog: ReadinessLog,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      'Readiness with every detail: broker, producer, each group (partitions, lag), shutdown',
  })
  @ApiOkResponse({
    description: 'terminus shape: {status: "ok", info, error, details}',
  })
  @ApiServiceUnavailableResponse({
    description:
      'terminus shape with status "error"; `error` names what is down',
  })
  @KeyProtected()
  all() {
    return this.checkReadiness(true);
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      'Send traffic here? 503 while the broker or a partition leader of the topic is unreachable, a group has not joined, or shutting down',
  })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `error` says why' })
  ready() {
    return this.checkReadiness(false);
  }

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      'Restart me? 503 only when a consumer crashed and will not restart',
  })
  @ApiOkResponse({
    description: 'Alive (a broker outage does not fail liveness)',
  })
  @ApiServiceUnavailableResponse({
    description: 'A group consumer is dead for good',
  })
  live() {
    return this.health.check(
      this.registry.all().map((server) => () => this.groups.live(server)),
    );
  }

  private async checkReadiness(detailed: boolean) {
    try {
      const result = await this.health.check(this.readinessChecks(detailed));
      this.readinessLog.ready();
      return result;
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const body = error.getResponse() as {
          error?: Record<string, { message?: unknown }>;
        };
        this.readinessLog.notReady(body.error ?? {});
      }
      throw error;
    }
  }

  /** `detailed`: cluster and member ids, for GET /health only (probes get states and reasons). */
  private readinessChecks(detailed: boolean): HealthIndicatorFunction[] {
    const checks: HealthIndicatorFunction[] = [
      () => {
        const indicator = this.indicators.check('shutdown');
        return this.shutdown.shuttingDown
          ? indicator.down({
              message: 'replica is shutting down',
              since: this.shutdown.startedAt?.toISOString(),
            })
          : indicator.up();
      },
      () => this.broker.check(detailed),
      () => this.topic.check(detailed),
    ];
    if (this.app.roles.includes('producer')) {
      checks.push(() => this.producer.check());
    }
    for (const server of this.registry.all()) {
      checks.push(() => this.groups.ready(server, detailed));
    }
    return checks;
  }
}
