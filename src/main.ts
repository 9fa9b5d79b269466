import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp, createLogger } from './app.setup.js';
import {
  ConfigValidationError,
  loadConfiguration,
  type Configuration,
} from './config/configuration.js';
import { loadEnvFile } from './config/load-env-file.js';

function readConfiguration(): Configuration {
  loadEnvFile();
  try {
    return loadConfiguration(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      // One line that says what to fix; no stack trace.
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const config = readConfiguration();
  const logger = createLogger(config.app);
  // Node's own warnings go through the logger too (one JSON object per line
  // in json format), instead of Node's raw stderr text.
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    logger.warn(`${warning.name}: ${warning.message}`, 'Node'),
  );
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoles(config.app.roles, config.kafka.client),
    {
      logger,
      bodyParser: false,
      // The JSON body's bytes are kept (req.rawBody): its encoding is checked
      // and POST /produce carries the payload's text as it was sent.
      rawBody: true,
    },
  );
  // SIGTERM/SIGINT: readiness 503, drain, commit, leave the groups, close the producer.
  app.enableShutdownHooks();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // A drain that hangs must not keep the process alive past its budget.
      setTimeout(() => {
        logger.error(
          `shutdown took longer than ${config.app.shutdownTimeoutMs + 5_000} ms; exiting`,
        );
        process.exit(1);
      }, config.app.shutdownTimeoutMs + 5_000).unref();
    });
  }
  configureApp(app, config.app);
  await app.listen(config.app.port, '0.0.0.0');
  await app.startAllMicroservices();
  new Logger('Bootstrap').log(
    `nest-kafka-groups listening on ${await app.getUrl()} (roles: ${config.app.roles.join(',')}, topic: ${config.kafka.topic}, brokers: ${config.kafka.brokers.join(',')})`,
  );
}

bootstrap().catch((error: unknown) => {
  new Logger('Bootstrap').fatal(
    error instanceof Error ? error.message : String(error),
  );
  process.exit(1);
});
