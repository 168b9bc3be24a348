/**
 * What the exit-span tests share: the events the agent shipped to the test intake server,
 * grouped by transaction, and the checks every shipped span must pass (the intake schema,
 * and trace id, transaction id and parent id pointing where they should).
 */
import { expect } from 'vitest';
import type { IntakeServer } from './intake-server.js';
import { schemaErrors } from './spec.js';

export type Event = Record<string, any>;

export function shipped(intake: IntakeServer, kind: string): Event[] {
  return intake.events.filter((e) => e.kind === kind).map((e) => e.event as Event);
}

/** The shipped transaction with this id, and the spans that name it. */
export function traceOf(intake: IntakeServer, txId: string): { tx: Event; spans: Event[] } {
  const tx = shipped(intake, 'transaction').find((t) => t.id === txId);
  if (tx === undefined) throw new Error(`transaction ${txId} was not shipped`);
  const spans = shipped(intake, 'span').filter((s) => s.transaction_id === txId);
  return { tx, spans };
}

/** Every span valid against the intake schema and linked into `tx` (directly under it unless `parentId`). */
export function expectLinked(spans: Event[], tx: Event, parentId: string = tx.id): void {
  for (const span of spans) {
    expect(schemaErrors('span', span), JSON.stringify(span)).toBe('');
    expect(span.trace_id).toBe(tx.trace_id);
    expect(span.transaction_id).toBe(tx.id);
    expect(span.parent_id).toBe(parentId);
  }
}

export function byName(spans: Event[], name: string): Event {
  const span = spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span named ${name} among ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

/** What a real local upstream saw of one request. */
export interface Seen {
  method: string;
  url: string;
  traceparent: string | undefined;
  tracestate: string | undefined;
}

/**
 * A real HTTP(S) upstream on 127.0.0.1:0 that records the trace headers it is sent.
 * Paths: `/status/404` answers that status, `/reset` cuts the connection, `/hang` never
 * answers, anything else answers 200 `ok`.
 */
export class Upstream {
  readonly seen: Seen[] = [];
  private server: import('node:http').Server | null = null;
  port = 0;

  async start(tls?: { key: string; cert: string }): Promise<this> {
    const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
      this.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        traceparent: req.headers.traceparent as string | undefined,
        tracestate: req.headers.tracestate as string | undefined,
      });
      req.resume();
      const url = req.url ?? '/';
      if (url.startsWith('/reset')) {
        req.socket.destroy();
        return;
      }
      if (url.startsWith('/hang')) return;
      const status = url.startsWith('/status/') ? Number(url.slice(8, 11)) : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('ok');
    };
    const server = tls
      ? (await import('node:https')).createServer(tls, handler)
      : (await import('node:http')).createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as import('node:net').AddressInfo).port;
    return this;
  }

  /** The request the upstream saw for `path` (exact URL, query included). */
  saw(path: string): Seen {
    const s = this.seen.find((x) => x.url === path);
    if (s === undefined) throw new Error(`upstream did not see ${path} (saw ${this.seen.map((x) => x.url).join(', ')})`);
    return s;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}

/** A port nothing listens on (a server was there a moment ago). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The W3C header a span with this id in this trace sends. */
export function traceparentOf(span: Event): string {
  return `00-${span.trace_id}-${span.id}-01`;
}
