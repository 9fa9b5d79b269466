import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { producerConfig } from '../config/config.namespaces.js';
import type { ProducerSettings } from '../config/configuration.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { describePauseRoutes } from '../consumers/group-pause.openapi.js';

/** OpenAPI UI at /docs, the document at /docs-json. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const limits = app.get<ProducerSettings>(producerConfig.KEY);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nest-kafka-groups')
      .setDescription(
        'Produce to every partition of one topic; two consumer groups (realtime, analytics) each receive every record, ' +
          'and the replicas of one group share its partitions.',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  linkProduceToItsReaders(document);
  describeRedriveBody(document);
  if (limits.apiKey === undefined) {
    withoutSecurity(document);
  }
  // Built on first request: the topic's partition count is known only once
  // the app has started (topic provisioning runs in onModuleInit).
  SwaggerModule.setup('docs', app, () => {
    describeProduceBody(document, app);
    describePauseRoutes(document, app);
    return document;
  });
  return document;
}

/**
 * The body schema of POST /produce with the bounds of this replica: its
 * configured limits and the topic's real partition count, so a client (or
 * schemathesis) that follows the document is never refused.
 */
function describeProduceBody(
  document: OpenAPIObject,
  app: INestApplication,
): void {
  const schema = document.components?.schemas?.ProduceRequestDto;
  if (!schema || '$ref' in schema || !schema.properties) {
    return;
  }
  const limits = app.get<ProducerSettings>(producerConfig.KEY);
  const topics = app.get(TopicService, { strict: false });
  // ProduceBody refuses unknown properties, whatever their names.
  schema.additionalProperties = false;
  const props = schema.properties as Record<string, Record<string, unknown>>;
  Object.assign(props.messagesPerPartition, {
    type: 'integer',
    minimum: 1,
    maximum: Math.min(
      limits.maxMessagesPerPartition,
      Math.floor(limits.maxRecords / Math.max(1, topics.partitionCount)),
    ),
  });
  Object.assign(props.partitions, {
    minItems: 1,
    uniqueItems: true,
    items: {
      type: 'integer',
      minimum: 0,
      maximum: Math.max(0, topics.partitionCount - 1),
    },
  });
  // OpenAPI 3.0 counts characters, not bytes, and cannot bound property
  // names: the byte limits are in the descriptions; the key's maxLength is
  // exact for ASCII keys.
  Object.assign(props.key, {
    maxLength: limits.maxKeyBytes,
    description: `Record key, the same for every record of this request: at most ${limits.maxKeyBytes} UTF-8 bytes (PRODUCE_MAX_KEY_BYTES), valid Unicode (no lone surrogates)`,
  });
  Object.assign(props.headers, {
    maxProperties: limits.maxHeaders,
    description: `Extra record headers, string to string: at most ${limits.maxHeaders} entries (PRODUCE_MAX_HEADERS) and ${limits.maxHeaderBytes} UTF-8 bytes of names and values together (PRODUCE_MAX_HEADER_BYTES); the name idempotency-key is reserved (send the Idempotency-Key HTTP header)`,
    additionalProperties: { type: 'string' },
  });
  props.payload.description = `Any JSON value, carried in every record's \`payload\` exactly as sent (its text, byte for byte): at most ${limits.maxPayloadBytes} bytes of JSON (PRODUCE_MAX_PAYLOAD_BYTES), nesting at most HTTP_MAX_JSON_DEPTH levels`;
}

/**
 * OpenAPI links from a write to the views that show its effect (the
 * consumers' counters, analytics, health): clients and schemathesis' stateful
 * phase follow them as sequences of calls.
 */
function linkProduceToItsReaders(document: OpenAPIObject): void {
  const created = document.paths['/produce']?.post?.responses?.['201'];
  if (!created || '$ref' in created) return;
  const readers = Object.entries({
    '/consumers': 'ReadConsumers',
    '/analytics': 'ReadAnalytics',
    '/health': 'ReadHealth',
  }).flatMap(([path, name]) => {
    const operationId = document.paths[path]?.get?.operationId;
    return operationId ? [[name, { operationId }] as const] : [];
  });
  created.links = Object.fromEntries(readers);
}

/** No PRODUCE_API_KEY: nothing asks for one, and nothing answers 401. */
function withoutSecurity(document: OpenAPIObject): void {
  delete document.components?.securitySchemes;
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as {
      security?: unknown;
      responses?: Record<string, unknown>;
    }[]) {
      if (typeof operation !== 'object' || operation === null) continue;
      delete operation.security;
      delete operation.responses?.['401'];
    }
  }
}

/**
 * POST /dead-letters/redrive takes exactly one of offsets and upTo, and no
 * other fields (the ValidationPipe refuses unknown ones): said in the schema,
 * so a client that follows the document is never refused.
 */
function describeRedriveBody(document: OpenAPIObject): void {
  const schema = document.components?.schemas?.RedriveRequestDto;
  if (!schema || '$ref' in schema) return;
  schema.additionalProperties = false;
  schema.oneOf = [{ required: ['offsets'] }, { required: ['upTo'] }];
}
