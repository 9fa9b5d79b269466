interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * A kafkajs client (admin, producer) connected on first use, shared by every
 * caller, and closed on shutdown; after a failure the owner decides whether
 * to forget it (the next call connects the same client again) or to rebuild
 * it (the next call connects a new client).
 */
export class LazyConnection<T extends Connectable> {
  private connection: Promise<T> | undefined;
  private client: T;

  /** `create`: builds the client, at first and on each rebuild. */
  constructor(private readonly create: () => T) {
    this.client = create();
  }

  /** The connected client; connects on the first call (and after forget/rebuild). */
  get(): Promise<T> {
    const client = this.client;
    this.connection ??= client.connect().then(() => client);
    return this.connection;
  }

  /** The next get() connects again (e.g. after a connect that failed). */
  forget(): void {
    this.connection = undefined;
  }

  /**
   * Closes the client in the background and the next get() connects a new
   * one. A new one, because a kafkajs client keeps its seed broker across
   * disconnect and connect: one that hangs (SIGSTOP) would be asked again,
   * and each disconnect would wait on its stuck requests (MaxListeners
   * warnings on its request queue). A new client picks its seed again.
   */
  rebuild(onError: (error: unknown) => void): void {
    const connection = this.connection;
    const old = this.client;
    this.connection = undefined;
    this.client = this.create();
    connection?.then(() => old.disconnect()).catch(onError);
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      await connection
        .then(() => this.client.disconnect())
        .catch(() => undefined);
    }
  }
}
