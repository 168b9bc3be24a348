/**
 * A real intake server for tests: node:http on 127.0.0.1 that accepts
 * `POST /intake/v2/events`, gunzips, parses the ndjson and records what arrived. It can
 * be told how to answer the next requests (a status sequence, a delay, a dropped
 * connection, no answer at all), so tests can drive the agent's transport through
 * outages without mocks.
 *
 *   const server = new IntakeServer();
 *   const url = await server.start();
 *   server.reply(503, 503);            // the next two requests fail, then 202 again
 *   ... point the agent at `url` ...
 *   const events = await server.waitForEvents(3);
 *   await server.close();
 *
 * `requests` holds every request (whatever it was answered); `events` and `metadata`
 * only what was answered with 2xx, i.e. what a real server would have stored.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface ReceivedEvent {
  /** `transaction`, `span`, `error`, `metricset` (or whatever the line's key was). */
  kind: string;
  event: Record<string, unknown>;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Bytes on the wire (before gunzip). */
  rawBytes: number;
  /** The decoded body. */
  body: string;
  /** The first line's `metadata`, or null if the first line was not metadata. */
  metadata: Record<string, unknown> | null;
  events: ReceivedEvent[];
  /** Set when the body could not be gunzipped or parsed; such requests are answered 400. */
  parseError: string | null;
  /** The status answered, or 0 for a destroyed socket or no answer. */
  status: number;
  receivedAtMs: number;
}

/** How to answer one request. A number is a status with an intake-like JSON body. */
export type Reply =
  | number
  | 'destroy' // close the connection without answering
  | 'hang' // never answer (until close())
  | { status: number; headers?: Record<string, string>; body?: string | object; delayMs?: number };

export class IntakeServer {
  readonly requests: ReceivedRequest[] = [];
  /** Events of requests answered 2xx, in arrival order. */
  readonly events: ReceivedEvent[] = [];
  /** The metadata of the last request answered 2xx. */
  metadata: Record<string, unknown> | null = null;
  /** Delay before every answer, in ms (a Reply's own delayMs adds to it). */
  delayMs = 0;
  private readonly replies: Reply[] = [];
  private readonly server: Server;
  private readonly watchers = new Set<() => void>();
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Listens on 127.0.0.1 (`port` 0 picks a free one) and returns the base URL to give the agent. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues answers for the next requests, in order; once used up, requests get 202 again. */
  reply(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Resolves with the first `n` stored events once that many arrived; rejects after `timeoutMs`. */
  waitForEvents(n: number, timeoutMs = 5000): Promise<ReceivedEvent[]> {
    return this.waitFor(() => this.events.length >= n, timeoutMs, () => `${n} events (got ${this.events.length})`).then(() =>
      this.events.slice(0, n),
    );
  }

  /** Resolves once `n` requests arrived, whatever they were answered. */
  waitForRequests(n: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
    return this.waitFor(() => this.requests.length >= n, timeoutMs, () => `${n} requests (got ${this.requests.length})`).then(() =>
      this.requests.slice(0, n),
    );
  }

  /** Stops listening and cuts every open connection (hanging ones included). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        this.watchers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`intake server: timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      this.watchers.add(check);
    });
  }

  private notify(): void {
    for (const check of [...this.watchers]) check();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const record = parseRequest(req, raw);
      this.requests.push(record);
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/intake/v2/events') {
        this.answer(record, res, { status: 404, body: { error: 'not found' } });
      } else if (record.parseError !== null) {
        this.answer(record, res, { status: 400, body: { accepted: 0, errors: [{ message: record.parseError }] } });
      } else {
        this.answer(record, res, this.replies.shift() ?? 202);
      }
      this.notify();
    });
  }

  private answer(record: ReceivedRequest, res: ServerResponse, reply: Reply): void {
    if (reply === 'hang') return;
    if (reply === 'destroy') {
      res.socket?.destroy();
      return;
    }
    const spec = typeof reply === 'number' ? { status: reply } : reply;
    const delayMs = this.delayMs + (typeof reply === 'object' ? (reply.delayMs ?? 0) : 0);
    const ok = spec.status >= 200 && spec.status < 300;
    const body =
      spec.body ?? (ok ? { accepted: record.events.length } : { accepted: 0, errors: [{ message: `test server answered ${spec.status}` }] });
    const send = (): void => {
      if (res.destroyed) return;
      record.status = spec.status;
      if (ok) {
        this.events.push(...record.events);
        this.metadata = record.metadata;
      }
      res.writeHead(spec.status, { 'content-type': 'application/json', ...spec.headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
      this.notify();
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  }
}

function parseRequest(req: IncomingMessage, raw: Buffer): ReceivedRequest {
  const record: ReceivedRequest = {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawBytes: raw.length,
    body: '',
    metadata: null,
    events: [],
    parseError: null,
    status: 0,
    receivedAtMs: Date.now(),
  };
  try {
    const encoding = req.headers['content-encoding'];
    const decoded = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
    record.body = decoded.toString('utf8');
  } catch (err) {
    record.parseError = `cannot decompress body: ${(err as Error).message}`;
    return record;
  }
  const lines = record.body.split('\n').filter((line) => line !== '');
  for (const [i, line] of lines.entries()) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      record.parseError = `line ${i + 1} is not JSON: ${(err as Error).message}`;
      return record;
    }
    const kind = Object.keys(parsed)[0] ?? '';
    if (i === 0 && kind === 'metadata') record.metadata = parsed.metadata as Record<string, unknown>;
    else record.events.push({ kind, event: parsed[kind] as Record<string, unknown> });
  }
  if (record.metadata === null) record.parseError = 'the first line is not metadata';
  return record;
}
