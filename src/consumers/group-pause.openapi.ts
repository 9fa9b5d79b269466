import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { consumersConfig } from '../config/config.namespaces.js';
import type { ConsumerSettings } from '../config/configuration.js';
import { TopicService } from '../kafka/topics/topic.service.js';

/**
 * The pause and resume routes with the bounds of this replica: the groups
 * it knows (by id and role name), the topic's real partition count, and no
 * unknown body fields (the ValidationPipe refuses them), so a client (or
 * schemathesis) that follows the document is refused only for an `until`
 * that is not in the future, which OpenAPI cannot say.
 */
export function describePauseRoutes(
  document: OpenAPIObject,
  app: INestApplication,
): void {
  const groups = app.get<ConsumerSettings>(consumersConfig.KEY);
  const partitions = app.get(TopicService, { strict: false }).partitionCount;
  const names = [
    ...new Set([
      groups.realtimeGroupId,
      groups.analyticsGroupId,
      'realtime',
      'analytics',
    ]),
  ];
  for (const route of ['pause', 'resume']) {
    const operation = document.paths[`/consumers/{group}/${route}`]?.post;
    for (const parameter of operation?.parameters ?? []) {
      if ('name' in parameter && parameter.name === 'group') {
        parameter.schema = { type: 'string', enum: names };
      }
    }
  }
  for (const name of ['PauseGroupDto', 'ResumeGroupDto']) {
    const schema = document.components?.schemas?.[name];
    if (!schema || '$ref' in schema || !schema.properties) continue;
    schema.additionalProperties = false;
    const props = schema.properties as Record<string, Record<string, unknown>>;
    props.partitions.items = {
      type: 'integer',
      minimum: 0,
      maximum: Math.max(0, partitions - 1),
    };
  }
}
