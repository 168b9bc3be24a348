/**
 * The collector under load and faults, as a real process: many agents at once lose nothing;
 * SIGKILL in the middle of ingest loses nothing that got a 202 (SQLite and PostgreSQL); a
 * full disk and a lost or unreachable PostgreSQL are answered 503, never a crash, and
 * ingest resumes once the database is back.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BetterSqlite3 as Database } from '../src/store/better-sqlite3.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema } from './pg.js';
import { eventId, intakeBody, newLoadResult, postBody, runLoad, spawnCollector, type CollectorProcess } from './reliability-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sightline-reliability-'));
const running = new Set<CollectorProcess>();
const pgAvailability = await postgresAvailable();
if (!pgAvailability.ok) console.warn(`skipping the PostgreSQL reliability tests: ${pgAvailability.reason}`);

async function start(db: string, args: string[] = [], port = 0): Promise<CollectorProcess> {
  const collector = await spawnCollector(db, args, port);
  running.add(collector);
  return collector;
}

function sqliteIds(path: string): Set<string> {
  const db = new Database(path, { readonly: true });
  try {
    return new Set((db.prepare('SELECT id FROM transactions').all() as Array<{ id: string }>).map((r) => r.id));
  } finally {
    db.close();
  }
}

async function pgIds(schema: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT id FROM ${schema}.transactions`);
    return new Set(rows.map((r: { id: string }) => r.id));
  } finally {
    await client.end();
  }
}

function missing(acked: Set<string>, stored: Set<string>): string[] {
  return [...acked].filter((id) => !stored.has(id));
}

afterAll(async () => {
  await Promise.all([...running].map((c) => c.kill9()));
  rmSync(dir, { recursive: true, force: true });
});

describe('collector under load', () => {
  it('many concurrent agents through a small queue (503s and retries): every event sent is stored once', async () => {
    const db = join(dir, 'load.db');
    // A queue smaller than the offered load, so backpressure (503 + retry) is part of the run.
    const collector = await start(db, ['--queue-size', '500']);
    const load = await runLoad({ url: () => collector.url, agents: 24, requestsPerAgent: 12, eventsPerRequest: 60, attempts: 60, retryDelayMs: 50 });
    console.log(`load: sent ${load.sent}, acked ${load.acked.size}, statuses ${JSON.stringify(load.statuses)}, retries ${load.retries}`);
    expect(load.sent).toBe(24 * 12 * 60);
    expect(load.acked.size).toBe(load.sent);
    const services = await (await fetch(`${collector.url}/api/v1/services`)).json();
    expect(services.items).toEqual([expect.objectContaining({ name: 'load', transactionCount: expect.any(Number) })]);
    expect(await collector.stop()).toBe(0);
    const stored = sqliteIds(db);
    expect(missing(load.acked, stored)).toEqual([]);
    expect(stored.size).toBe(load.sent);
  });
});

describe('collector killed with SIGKILL during ingest', () => {
  async function killDuringIngest(db: string, args: string[], readIds: () => Promise<Set<string>>): Promise<void> {
    let collector = await start(db, args);
    const port = collector.port;
    let killed = false;
    const progress = newLoadResult();
    const load = runLoad(
      { url: () => collector.url, agents: 8, requestsPerAgent: 400, eventsPerRequest: 50, attempts: 1, retryDelayMs: 0, stop: () => killed },
      progress,
    );
    // Kill once a good share of events were acknowledged, while requests are still in flight.
    for (let i = 0; i < 500 && progress.acked.size < 3000; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await collector.kill9();
    killed = true;
    const result = await load;
    console.log(`kill -9 (${args.length > 0 ? 'postgres' : 'sqlite'}): sent ${result.sent}, acked ${result.acked.size}, statuses ${JSON.stringify(result.statuses)}`);
    expect(result.acked.size).toBeGreaterThan(0);
    expect(result.statuses['0'] ?? 0, 'some requests were cut off by the kill').toBeGreaterThan(0);

    // Restart on the same port and database: it recovers and takes more.
    collector = await start(db, args, port);
    const after = await postBody(collector.url, intakeBody('load', [eventId(999, 0, 0)]));
    expect(after.status).toBe(202);
    expect(await collector.stop()).toBe(0);
    const stored = await readIds();
    expect(missing(result.acked, stored)).toEqual([]);
    expect(stored.has(eventId(999, 0, 0))).toBe(true);
  }

  it('SQLite: every event answered 202 is in the database after a restart', async () => {
    const db = join(dir, 'kill.db');
    await killDuringIngest(db, [], async () => sqliteIds(db));
  });

  describe.skipIf(!pgAvailability.ok)('PostgreSQL', () => {
    const schema = uniqueSchema();
    afterAll(() => dropSchema(schema));
    it('every event answered 202 is in the database after a restart', async () => {
      await killDuringIngest(PG_URL, ['--pg-schema', schema], () => pgIds(schema));
    });
  });
});

/** What PostgreSQL sends a session that pg_terminate_backend ends: ErrorResponse FATAL 57P01. */
function adminShutdownMessage(): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C57P01', 'Mterminating connection due to administrator command'];
  const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** The length of the server's start-up reply up to and including its first ReadyForQuery, once it has all arrived. */
function startupReplyLength(bytes: Buffer): number | undefined {
  for (let at = 0; at + 5 <= bytes.length; ) {
    const end = at + 1 + bytes.readInt32BE(at + 1);
    if (end > bytes.length) return undefined;
    if (bytes[at] === 0x5a) return end;
    at = end;
  }
  return undefined;
}

/**
 * A loopback TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones
 * refused), or can end new sessions the way pg_terminate_backend ends one that has just started:
 * its ReadyForQuery and the FATAL in one read.
 */
class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #down = false;
  #terminateOnOpen = 0;
  terminatedOnOpen = 0;

  constructor(targetPort: number) {
    this.#server = createServer((client) => {
      if (this.#down) return void client.destroy();
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      if (this.#terminateOnOpen > 0) {
        this.#terminateOnOpen--;
        this.#endAfterStartup(client, upstream);
      } else {
        upstream.pipe(client);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  /** The next `count` sessions end with FATAL 57P01 in the same write as their first ReadyForQuery. */
  terminateOnOpen(count: number): void {
    this.#terminateOnOpen = count;
  }

  #endAfterStartup(client: Socket, upstream: Socket): void {
    let reply = Buffer.alloc(0);
    let ended = false;
    upstream.on('data', (chunk: Buffer) => {
      if (ended) return;
      reply = Buffer.concat([reply, chunk]);
      const length = startupReplyLength(reply);
      if (length === undefined) return;
      ended = true;
      client.end(Buffer.concat([reply.subarray(0, length), adminShutdownMessage()]));
      this.terminatedOnOpen++;
      upstream.destroy();
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as { port: number }).port;
  }

  cut(): void {
    this.#down = true;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void {
    this.#down = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Posts until `accept(status)` or `attempts` run out; returns every answer's status. */
async function postUntil(url: string, ids: string[], accept: (status: number) => boolean, attempts: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < attempts; i++) {
    const answer = await postBody(url, intakeBody('faults', ids));
    statuses.push(answer.status);
    if (accept(answer.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return statuses;
}

describe('collector when the database fails', () => {
  function tryMount(at: string, size: string): boolean {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  it('disk full (SQLite on a small tmpfs): 503, no crash, and ingest resumes once there is room', async (context) => {
    const mnt = join(dir, 'small-disk');
    mkdirSync(mnt);
    if (!tryMount(mnt, '4m')) {
      console.warn('skipping the disk-full test: cannot mount a tmpfs here (needs root)');
      context.skip();
    }
    try {
      const filler = join(mnt, 'filler');
      writeFileSync(filler, Buffer.alloc(2_600_000));
      const db = join(mnt, 'full.db');
      const collector = await start(db);
      const acked = new Set<string>();
      const statuses: number[] = [];
      let full: any = null;
      for (let r = 0; r < 200 && full === null; r++) {
        const ids = Array.from({ length: 100 }, (_, e) => eventId(1, r, e));
        const answer = await postBody(collector.url, intakeBody('disk', ids));
        statuses.push(answer.status);
        if (answer.status === 202) ids.forEach((id) => acked.add(id));
        else full = answer;
      }
      console.log(`disk full: ${statuses.filter((s) => s === 202).length} requests accepted (${acked.size} events) before ${JSON.stringify(full)}`);
      expect(full).toMatchObject({ status: 503, body: { accepted: 0, errors: [{ message: expect.stringMatching(/cannot write to the database.*full/) }] } });
      expect(acked.size).toBeGreaterThan(0);
      expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
      expect(collector.child.exitCode).toBeNull();

      unlinkSync(filler);
      const again = await postUntil(collector.url, [eventId(2, 0, 0)], (s) => s === 202, 20);
      expect(again.at(-1)).toBe(202);
      acked.add(eventId(2, 0, 0));
      expect(await collector.stop()).toBe(0);
      expect(missing(acked, sqliteIds(db))).toEqual([]);
      expect(collector.stderr()).not.toMatch(/Unhandled|TypeError|at .*\.js/);
    } finally {
      execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
    }
  });

  describe.skipIf(!pgAvailability.ok)('PostgreSQL', () => {
    const schemas: string[] = [];
    afterAll(() => Promise.all(schemas.map(dropSchema)));

    it('unreachable (the connection cut and refused): 503, no crash, and back to 202 once it answers again', async () => {
      const schema = uniqueSchema();
      schemas.push(schema);
      const proxy = new CuttableProxy(Number(new URL(PG_URL).port || 5432));
      const proxyPort = await proxy.listen();
      const url = new URL(PG_URL);
      url.port = String(proxyPort);
      try {
        const collector = await start(url.href, ['--pg-schema', schema]);
        expect((await postBody(collector.url, intakeBody('faults', [eventId(3, 0, 0)]))).status).toBe(202);
        proxy.cut();
        const down = await postBody(collector.url, intakeBody('faults', [eventId(3, 1, 0)]));
        expect(down).toMatchObject({ status: 503, body: { accepted: 0, errors: [{ message: expect.stringMatching(/cannot write to the database/) }] } });
        expect(down.retryAfter).toBe('10');
        expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
        proxy.restore();
        const back = await postUntil(collector.url, [eventId(3, 2, 0)], (s) => s === 202, 20);
        expect(back.at(-1)).toBe(202);
        expect(await collector.stop()).toBe(0);
        const stored = await pgIds(schema);
        expect(stored.has(eventId(3, 0, 0)) && stored.has(eventId(3, 2, 0))).toBe(true);
      } finally {
        await proxy.close();
      }
    });

    it('a session terminated as it opens (its ReadyForQuery and FATAL in one read): no crash, the write retried and stored', async () => {
      const schema = uniqueSchema();
      schemas.push(schema);
      const proxy = new CuttableProxy(Number(new URL(PG_URL).port || 5432));
      const url = new URL(PG_URL);
      url.port = String(await proxy.listen());
      try {
        const collector = await start(url.href, ['--pg-schema', schema]);
        expect((await postBody(collector.url, intakeBody('faults', [eventId(4, 0, 0)]))).status).toBe(202);
        // The pool's idle sessions dropped, so the next write opens a new one.
        proxy.cut();
        await new Promise((resolve) => setTimeout(resolve, 100));
        proxy.restore();
        proxy.terminateOnOpen(2);
        const statuses = await postUntil(collector.url, [eventId(4, 1, 0)], (s) => s === 202, 20);
        expect(proxy.terminatedOnOpen).toBeGreaterThan(0);
        // The write queue retries a failed write on a new session; an agent may see a 503 meanwhile.
        expect(statuses.every((s) => s === 503 || s === 202)).toBe(true);
        expect(statuses.at(-1)).toBe(202);
        expect(collector.child.exitCode).toBeNull();
        expect(collector.stderr()).toBe('');
        expect(await collector.stop()).toBe(0);
        const stored = await pgIds(schema);
        expect(stored.has(eventId(4, 0, 0)) && stored.has(eventId(4, 1, 0))).toBe(true);
      } finally {
        await proxy.close();
      }
    });

    it('connections terminated mid-ingest (pg_terminate_backend): the pool reconnects and every event sent is stored', async () => {
      const schema = uniqueSchema();
      schemas.push(schema);
      const appName = `sightline_rel_${schema.slice(-8)}`;
      const url = new URL(PG_URL);
      url.searchParams.set('application_name', appName);
      const collector = await start(url.href, ['--pg-schema', schema]);
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      let terminated = 0;
      try {
        let done = false;
        const load = runLoad({ url: () => collector.url, agents: 6, requestsPerAgent: 15, eventsPerRequest: 50, attempts: 30, retryDelayMs: 50 }).finally(
          () => (done = true),
        );
        for (let i = 0; i < 5 && !done; i++) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [appName]);
          terminated += rows.length;
        }
        const result = await load;
        console.log(`pg terminate: ${terminated} backends terminated; sent ${result.sent}, acked ${result.acked.size}, statuses ${JSON.stringify(result.statuses)}`);
        expect(collector.stderr()).toBe('');
        expect(terminated).toBeGreaterThan(0);
        expect(result.acked.size).toBe(result.sent);
        expect(collector.child.exitCode).toBeNull();
        expect(await collector.stop()).toBe(0);
        expect(missing(result.acked, await pgIds(schema))).toEqual([]);
      } finally {
        await admin.end();
      }
    });
  });
});
