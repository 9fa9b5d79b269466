import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { producerConfig } from '../config/config.namespaces.js';
import type { ProducerSettings } from '../config/configuration.js';
import { TopicService } from '../kafka/topic.service.js';
import { FORBIDDEN_JSON_KEYS } from './json-body.checks.js';

/** OpenAPI UI at /docs, the document at /docs-json. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
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
  // The ValidationPipe rejects unknown properties (forbidNonWhitelisted).
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
  // Keys that reach a prototype when copied are refused anywhere in the body (400).
  const safeNames = { not: { enum: [...FORBIDDEN_JSON_KEYS] } };
  (schema as Record<string, unknown>).propertyNames = safeNames;
  Object.assign(props.headers, {
    maxProperties: limits.maxHeaders,
    propertyNames: safeNames,
  });
  const anyJson = props.payload.oneOf as Record<string, unknown>[] | undefined;
  anyJson
    ?.filter((alternative) => alternative.type === 'object')
    .forEach((alternative) => (alternative.propertyNames = safeNames));
}
