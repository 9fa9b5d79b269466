import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { producerConfig } from '../config/config.namespaces.js';
import type { ProducerSettings } from '../config/configuration.js';
import { TopicService } from '../kafka/topic.service.js';

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
  if (limits.apiKey === undefined) {
    withoutSecurity(document);
  }
  // Built on first request: the topic's partition count is known only once
  // the app has started (topic provisioning runs in onModuleInit).
  SwaggerModule.setup('docs', app, () => {
    describeProduceBody(document, app);
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
  // OpenAPI 3.0 cannot bound bytes nor property names: the byte limits are
  // in the descriptions, and maxLength bounds what cannot exceed them (a
  // character is at most 4 UTF-8 bytes), so a schema-valid body is accepted.
  Object.assign(props.key, {
    maxLength: Math.floor(limits.maxKeyBytes / 4),
    description: `Record key, the same for every record of this request: at most ${limits.maxKeyBytes} UTF-8 bytes (PRODUCE_MAX_KEY_BYTES), valid Unicode (no lone surrogates)`,
  });
  Object.assign(props.headers, {
    maxProperties: limits.maxHeaders,
    description: `Extra record headers, string to string: at most ${limits.maxHeaders} entries (PRODUCE_MAX_HEADERS) and ${limits.maxHeaderBytes} UTF-8 bytes of names and values together (PRODUCE_MAX_HEADER_BYTES); the name idempotency-key is reserved (send the Idempotency-Key HTTP header)`,
    additionalProperties: {
      type: 'string',
      maxLength: Math.floor(
        limits.maxHeaderBytes / Math.max(1, limits.maxHeaders) / 8,
      ),
    },
  });
  props.payload.description = `Any JSON value, carried in every record's \`payload\` exactly as sent (its text, byte for byte): at most ${limits.maxPayloadBytes} bytes of JSON (PRODUCE_MAX_PAYLOAD_BYTES), nesting at most HTTP_MAX_JSON_DEPTH levels`;
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
