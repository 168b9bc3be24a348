/**
 * For the reliability tests: the collector as a real child process (`sightline collector`)
 * that can be killed with SIGKILL and started again on the same port and database, and
 * intake clients that send numbered events and remember which ones got a 202.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BIN = fileURLToPath(new URL('../bin/sightline.js', import.meta.url));

export interface CollectorProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr (warnings, a crash's stack). */
  stderr(): string;
  /** SIGKILL: no shutdown, no final write. */
  kill9(): Promise<void>;
  /** SIGTERM: drains the queue and exits 0. */
  stop(): Promise<number | null>;
}

/** Starts `sightline collector --port <port> --db <db> …` and resolves once it listens. */
export async function spawnCollector(db: string, extraArgs: string[] = [], port = 0): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [BIN, 'collector', '--host', '127.0.0.1', '--port', String(port), '--db', db, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let err = '';
  child.stderr!.on('data', (chunk) => (err += chunk));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start within 15 s: ${out} ${err}`)), 15_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code} before listening: ${err}`));
    });
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => err,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}

/** A gzipped intake body: metadata, then one transaction per id (trace id derived from it). */
export function intakeBody(service: string, ids: readonly string[], nowMs = Date.now()): Buffer {
  const lines = [JSON.stringify({ metadata: { service: { name: service, agent: { name: 'nodejs', version: '1.0.0' } } } })];
  for (const id of ids) {
    lines.push(
      JSON.stringify({
        transaction: {
          id,
          trace_id: id.padEnd(32, '0'),
          name: 'GET /load',
          type: 'request',
          duration: 1.5,
          timestamp: nowMs * 1000,
          outcome: 'success',
          result: 'HTTP 2xx',
          span_count: { started: 0 },
          sampled: true,
        },
      }),
    );
  }
  return gzipSync(lines.join('\n') + '\n');
}

export interface PostResult {
  /** 0 when there was no HTTP answer (refused, reset). */
  status: number;
  body: any;
  retryAfter: string | null;
}

/** One intake POST that never rejects. */
export function postBody(url: string, body: Buffer, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<PostResult> {
  return new Promise((resolve) => {
    const req = request(`${url}/intake/v2/events`, {
      method: 'POST',
      agent: false,
      timeout: timeoutMs,
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'content-length': body.length, ...headers },
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: null, retryAfter: null }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', () => resolve({ status: 0, body: null, retryAfter: null }));
      res.on('end', () => {
        let parsed: any = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, body: parsed, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
      });
    });
    req.end(body);
  });
}

/** 16 hex characters: agent a, request r, event e. */
export const eventId = (agent: number, req: number, event: number): string =>
  `${agent.toString(16).padStart(4, '0')}${req.toString(16).padStart(6, '0')}${event.toString(16).padStart(6, '0')}`;

export interface LoadOptions {
  url: () => string;
  agents: number;
  requestsPerAgent: number;
  eventsPerRequest: number;
  /** Attempts per request (a 503 or no answer is retried after retryDelayMs); 1 for no retries. */
  attempts: number;
  retryDelayMs: number;
  /** Stops every agent before its next request once it returns true. */
  stop?: () => boolean;
  service?: string;
}

export interface LoadResult {
  sent: number;
  /** Ids of events answered 202, in no particular order. */
  acked: Set<string>;
  statuses: Record<string, number>;
  retries: number;
}

export const newLoadResult = (): LoadResult => ({ sent: 0, acked: new Set(), statuses: {}, retries: 0 });

/**
 * Concurrent agents, each sending its requests one after the other (as the agent does).
 * Bounded by counts; `result` can be watched while it runs.
 */
export async function runLoad(options: LoadOptions, result: LoadResult = newLoadResult()): Promise<LoadResult> {
  const agent = async (a: number): Promise<void> => {
    for (let r = 0; r < options.requestsPerAgent; r++) {
      if (options.stop?.()) return;
      const ids = Array.from({ length: options.eventsPerRequest }, (_, e) => eventId(a, r, e));
      const body = intakeBody(options.service ?? 'load', ids);
      result.sent += ids.length;
      for (let attempt = 1; attempt <= options.attempts; attempt++) {
        const answer = await postBody(options.url(), body);
        result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
        if (answer.status === 202) {
          for (const id of ids) result.acked.add(id);
          break;
        }
        // A partial answer: the first `accepted` events are stored, the agent resends the rest.
        if (answer.status === 503 && typeof answer.body?.accepted === 'number') {
          for (const id of ids.slice(0, answer.body.accepted)) result.acked.add(id);
        }
        if (attempt === options.attempts || options.stop?.()) break;
        result.retries++;
        await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
      }
    }
  };
  await Promise.all(Array.from({ length: options.agents }, (_, a) => agent(a)));
  return result;
}
