import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { GroupConsumerServer } from './group-consumer.server.js';

/**
 * The group servers this replica runs (one per enabled consumer role).
 * main.ts connects each as a Nest microservice; /consumers and the health
 * indicators read their state from here.
 */
@Injectable()
export class GroupConsumerRegistry implements BeforeApplicationShutdown {
  private readonly servers = new Map<string, GroupConsumerServer>();
  private readonly redrives: GroupConsumerServer[] = [];

  register(server: GroupConsumerServer): void {
    this.servers.set(server.state.name, server);
  }

  /**
   * A group's redrive server (its redrive topic, its own consumer group):
   * connected and stopped like the group's, but not a group of its own in
   * /consumers or readiness.
   */
  registerRedrive(server: GroupConsumerServer): void {
    this.redrives.push(server);
  }

  all(): GroupConsumerServer[] {
    return [...this.servers.values()];
  }

  /** Every server to connect: the groups, then their redrive servers. */
  transports(): GroupConsumerServer[] {
    return [...this.servers.values(), ...this.redrives];
  }

  get(name: string): GroupConsumerServer | undefined {
    return this.servers.get(name);
  }

  /**
   * Why: Nest closes microservices only after every shutdown hook and the
   * HTTP server; a consumer would keep taking new records meanwhile. The drain
   * starts at the first hook instead (Nest's own close() later awaits the
   * same drain), so a stopping replica hands its partitions over sooner.
   */
  beforeApplicationShutdown(): void {
    for (const server of this.transports()) {
      void server.close();
    }
  }
}
