import { registerAs } from '@nestjs/config';
import { loadConfiguration } from './configuration.js';

// One namespace per concern, injected with
// `@Inject(kafkaConfig.KEY) kafka: ConfigType<typeof kafkaConfig>`.
// main.ts has already validated the environment, so these cannot throw.
export const appConfig = registerAs(
  'app',
  () => loadConfiguration(process.env).app,
);
export const kafkaConfig = registerAs(
  'kafka',
  () => loadConfiguration(process.env).kafka,
);
export const producerConfig = registerAs(
  'producer',
  () => loadConfiguration(process.env).producer,
);
export const consumersConfig = registerAs(
  'consumers',
  () => loadConfiguration(process.env).consumers,
);
export const healthConfig = registerAs(
  'health',
  () => loadConfiguration(process.env).health,
);
export const metricsConfig = registerAs(
  'metrics',
  () => loadConfiguration(process.env).metrics,
);
export const dashboardConfig = registerAs(
  'dashboard',
  () => loadConfiguration(process.env).dashboard,
);

export const CONFIG_NAMESPACES = [
  appConfig,
  kafkaConfig,
  producerConfig,
  consumersConfig,
  healthConfig,
  metricsConfig,
  dashboardConfig,
];
