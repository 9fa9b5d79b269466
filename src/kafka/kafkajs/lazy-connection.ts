interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * A kafkajs client (admin, producer) connected on first use, shared by every
 * caller, and closed on shutdown; after a failure the owner decides whether
 * to forget it (the next call connects again) or to rebuild it.
 */
export class LazyConnection<T extends Connectable> {
  private connection: Promise<T> | undefined;

  constructor(private readonly client: T) {}

  /** The connected client; connects on the first call (and after forget/rebuild). */
  get(): Promise<T> {
    this.connection ??= this.client.connect().then(() => this.client);
    return this.connection;
  }

  /** The next get() connects again (e.g. after a connect that failed). */
  forget(): void {
    this.connection = undefined;
  }

  /** Closes the sockets, then forgets: the next get() opens fresh ones. */
  rebuild(onError: (error: unknown) => void): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.then(() => this.client.disconnect()).catch(onError);
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
