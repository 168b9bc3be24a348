import type pg from 'pg';

/**
 * A client checked out of the pool that hears its connection die from the moment it is lent.
 * pg-pool takes its own 'error' listener off as it lends a client; one put on after
 * `await pool.connect()` comes a microtask later, after the rest of the socket read is parsed,
 * so a session ended as it opens (pg_terminate_backend: ReadyForQuery and FATAL in one read)
 * was an unhandled 'error' that took the collector down. Released with that error, the pool
 * discards the dead connection instead of lending it out again.
 */
export class PgLease {
  readonly client: pg.PoolClient;
  #lost: Error | undefined;
  readonly #onError = (error: Error): void => {
    this.#lost = error;
  };

  private constructor(client: pg.PoolClient) {
    this.client = client;
    client.on('error', this.#onError);
  }

  static take(pool: pg.Pool): Promise<PgLease> {
    return new Promise((resolve, reject) => {
      // Made inside the callback, so the listener is on before anything else is parsed.
      pool.connect((error, client) => (client === undefined ? reject(error) : resolve(new PgLease(client))));
    });
  }

  /** Whether the connection died while lent (a ROLLBACK would only fail). */
  get lost(): boolean {
    return this.#lost !== undefined;
  }

  release(): void {
    this.client.off('error', this.#onError);
    this.client.release(this.#lost);
  }
}
