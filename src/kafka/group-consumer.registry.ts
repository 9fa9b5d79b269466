import { Injectable } from '@nestjs/common';
import type { GroupConsumerServer } from './group-consumer.server.js';

/**
 * The group servers this replica runs (one per enabled consumer role).
 * main.ts connects each as a Nest microservice; /consumers and the health
 * indicators read their state from here.
 */
@Injectable()
export class GroupConsumerRegistry {
  private readonly servers = new Map<string, GroupConsumerServer>();

  register(server: GroupConsumerServer): void {
    this.servers.set(server.state.name, server);
  }

  all(): GroupConsumerServer[] {
    return [...this.servers.values()];
  }

  get(name: string): GroupConsumerServer | undefined {
    return this.servers.get(name);
  }
}
