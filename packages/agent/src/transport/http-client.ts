/**
 * One POST of a gzipped ndjson body to the intake, reported through a callback that runs
 * exactly once and never throws. Requests run with tracing suppressed (the agent must not
 * record its own traffic as spans) on a keep-alive agent whose sockets are unref()ed, so
 * a request in flight never keeps the process alive.
 */
import type http from 'node:http';
import { nodeHttp, nodeHttps } from '../node-builtins.js';
import type { Socket } from 'node:net';
import { suppressTracing } from '../trace/context.js';
import { parseRetryAfterMs } from './backoff.js';

/** The outcome of one request. `status` is 0 when there was no HTTP answer. */
export interface PostResult {
  status: number;
  body: string;
  error: string | null;
  retryAfterMs: number | null;
}

export type PostCallback = (result: PostResult) => void;

export interface IntakeClientOptions {
  serverUrl: string;
  secretToken: string | null;
  apiKey: string | null;
  userAgent: string;
  timeoutMs: number;
}

/** The server's error text is only for a log line: keep at most this much of it. */
const MAX_RESPONSE_BODY = 16 * 1024;

export function intakeUrl(serverUrl: string): URL {
  const url = new URL(serverUrl);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/intake/v2/events';
  url.search = '';
  url.hash = '';
  return url;
}

function unrefSocket(socket: Socket): void {
  socket.unref();
}

export class IntakeClient {
  readonly url: URL;
  private readonly request: typeof http.request;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private current: http.ClientRequest | null = null;

  constructor(options: IntakeClientOptions) {
    this.url = intakeUrl(options.serverUrl);
    const secure = this.url.protocol === 'https:';
    this.request = secure ? nodeHttps.request : nodeHttp.request;
    this.agent = secure ? new nodeHttps.Agent({ keepAlive: true, maxSockets: 1 }) : new nodeHttp.Agent({ keepAlive: true, maxSockets: 1 });
    this.timeoutMs = options.timeoutMs;
    this.headers = {
      'Content-Type': 'application/x-ndjson',
      'Content-Encoding': 'gzip',
      'User-Agent': options.userAgent,
      Accept: 'application/json',
    };
    if (options.apiKey !== null) this.headers.Authorization = `ApiKey ${options.apiKey}`;
    else if (options.secretToken !== null) this.headers.Authorization = `Bearer ${options.secretToken}`;
  }

  /** POSTs `body`, the chunks written one after the other. */
  post(body: readonly Buffer[], onDone: PostCallback): void {
    let settled = false;
    const finish = (result: PostResult): void => {
      if (settled) return;
      settled = true;
      if (this.current === req) this.current = null;
      try {
        onDone(result);
      } catch {
        // The transport's callback does not throw; if it ever did, an event handler is no place to surface it.
      }
    };
    const fail = (err: unknown): void => {
      finish({ status: 0, body: '', error: describeError(err), retryAfterMs: null });
    };

    let req: http.ClientRequest | null = null;
    let timer: NodeJS.Timeout | null = null;
    try {
      req = suppressTracing(() => {
        const made = this.request(this.url, {
          method: 'POST',
          agent: this.agent,
          headers: { ...this.headers, 'Content-Length': String(byteLength(body)) },
        });
        // The whole exchange, not the socket's idle time: a server trickling bytes fails too.
        // Not the request's `timeout` option either: the socket timeouts it sets run through
        // Node's setStreamTimeout with the agent's client sockets, whose other shape made that
        // function's property loads megamorphic for the app's server sockets as well.
        timer = setTimeout(() => made.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        timer.unref();
        return made;
      });
    } catch (err) {
      // A synchronous throw (a bad header value, say) must still reach the caller asynchronously.
      setImmediate(fail, err);
      return;
    }
    this.current = req;
    const request = req;
    const deadline = timer ?? undefined;
    request.on('close', () => clearTimeout(deadline));
    request.on('socket', unrefSocket);
    request.on('error', fail);
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < MAX_RESPONSE_BODY) text += chunk.slice(0, MAX_RESPONSE_BODY - text.length);
      });
      res.on('end', () => finish({ status, body: text, error: null, retryAfterMs }));
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('response aborted')));
    });
    for (const chunk of body) request.write(chunk);
    request.end();
  }

  /** Abandons the request in flight, if any (its callback reports the abort). */
  abort(): void {
    this.current?.destroy(new Error('transport closed'));
  }

  destroy(): void {
    this.abort();
    this.agent.destroy();
  }
}

/** The bytes of a body in chunks. */
export function byteLength(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const chunk of chunks) n += chunk.length;
  return n;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
