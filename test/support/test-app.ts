import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureApp, createLogger } from '../../src/app.setup.js';
import {
  type Configuration,
  loadConfiguration,
} from '../../src/config/configuration.js';
import { uniqueName } from './unique.js';
import { waitFor } from './wait-for.js';

/**
 * What every spec's app is told: the brokers, its own topic and partitions,
 * its own two group ids (names no other test uses).
 */
export function appEnv(setup: {
  brokers: string[];
  topic: string;
  partitions: number;
  realtime: string;
  analytics: string;
}): Record<string, string> {
  return {
    KAFKA_BROKERS: setup.brokers.join(','),
    KAFKA_TOPIC: setup.topic,
    KAFKA_TOPIC_PARTITIONS: String(setup.partitions),
    REALTIME_GROUP_ID: setup.realtime,
    ANALYTICS_GROUP_ID: setup.analytics,
  };
}

/** appEnv with two group ids no other test uses: a spec's app on its own topic. */
export function ownTopicEnv(
  brokers: string[],
  topic: string,
  partitions: number,
): Record<string, string> {
  return appEnv({
    brokers,
    topic,
    partitions,
    realtime: uniqueName('rt'),
    analytics: uniqueName('an'),
  });
}

export interface TestAppOptions {
  env: Record<string, string>;
  /** e.g. override a handler service to make it fail: the Kafka side stays real. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** The HTTP port; a random free one when unset (a restarted app may take its old one back). */
  port?: number;
}

/**
 * The real app in this process (same module graph, setup and Kafka code as
 * main.ts) on a random port. Configuration comes from `env` only; the
 * surrounding process.env is restored once the app is built.
 */
export class TestApp {
  private constructor(
    readonly app: INestApplication,
    readonly config: Configuration,
    readonly url: string,
  ) {}

  static async start({
    env,
    override,
    port = 0,
  }: TestAppOptions): Promise<TestApp> {
    const appEnv = {
      // Quiet by default (during a broker outage kafkajs logs every refused
      // connection); TEST_LOG_LEVEL=log shows the app's lines when needed.
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
      LOG_FORMAT: 'text',
      ...env,
    };
    const saved = new Map(
      Object.keys(appEnv).map((key) => [key, process.env[key]]),
    );
    Object.assign(process.env, appEnv);
    try {
      const config = loadConfiguration(process.env);
      let builder = Test.createTestingModule({
        imports: [AppModule.forRoles(config.app.roles, config.kafka.client)],
      });
      builder = override ? override(builder) : builder;
      const moduleRef = await builder.compile();
      const app = moduleRef.createNestApplication({
        bodyParser: false,
        rawBody: true,
        logger: createLogger(config.app),
      });
      configureApp(app, config.app);
      await app.listen(port, '127.0.0.1');
      await app.startAllMicroservices();
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      return new TestApp(app, config, url);
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
    }
  }

  get<T = unknown>(path: string): Promise<HttpAnswer<T>> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> {
    return this.request<T>('POST', path, body, headers);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body:
        body === undefined
          ? undefined
          : typeof body === 'string'
            ? body
            : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, body: json as T, text };
  }

  /** Every group this app runs has joined (GET /consumers; `headers` may carry the API key). */
  async untilJoined(headers: Record<string, string> = {}): Promise<void> {
    await waitFor(
      async () =>
        (
          await this.request<{ groups: { status: string }[] }>(
            'GET',
            '/consumers',
            undefined,
            headers,
          )
        ).body.groups.every((group) => group.status === 'joined'),
      { what: 'every group of the app joined' },
    );
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
  text: string;
}
