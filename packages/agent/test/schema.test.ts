import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { runWithActive } from '../src/trace/context.js';
import type { EventKind, EventSink } from '../src/trace/sink.js';
import { Tracer } from '../src/trace/tracer.js';
import { schemaErrors } from './helpers/spec.js';

class Recorder implements EventSink {
  readonly events: Array<{ kind: EventKind; event: any }> = [];
  send(kind: EventKind, event: object): boolean {
    this.events.push({ kind, event: JSON.parse(JSON.stringify(event)) });
    return true;
  }
}

/** One real HTTP request through a real server, so the transaction holds real req/res objects. */
async function serveOnce(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { port, path: '/users/42?token=tok-secret-9q&q=shoes', headers: { authorization: 'Bearer hunter2', cookie: 'sid=s3; theme=dark', 'x-custom': 'yes' } },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end();
  });
  await new Promise((r) => server.close(r));
}

describe('events against the intake v2 schemas', () => {
  it('a request transaction with its spans validates, and secrets in it are redacted', async () => {
    const sink = new Recorder();
    const tracer = new Tracer(readConfig({ serviceName: 'schema', globalLabels: 'region=eu' }, {}), sink);
    await serveOnce((req, res) => {
      const tx = tracer.startTransaction('GET /users/:id', 'request', { traceparent: req.headers.traceparent as string });
      tx.req = req;
      tx.res = res;
      runWithActive(tx, () => {
        tx.setLabel('tenant.id', 7);
        tx.setUser({ id: 42, username: 'ada' });
        tx.setCustomContext({ cart: { items: 3 } });
        const db = tracer.startSpan('SELECT FROM users', 'db', 'postgresql', 'query', null, null, true)!;
        db.setDbContext({ type: 'sql', instance: 'test', statement: 'SELECT * FROM users WHERE id = $1', rows_affected: 1 });
        db.setDestination({ address: '127.0.0.1', port: 5432 });
        db.targetName = 'test';
        db.setOutcome('success', false);
        db.end();
        const http = tracer.startSpan('GET api.example.com', 'external', 'http', 'GET', null, null, true)!;
        http.setHttpContext({ method: 'GET', url: 'http://api.example.com/x', status_code: 200 });
        http.end();
        tracer.startSpan('render', 'app', null, null, null, null, false)!.end();
      });
      res.setHeader('set-cookie', 'sid=new');
      res.end('ok');
      tx.setResult('HTTP 2xx');
      tx.setOutcome('success', false);
      tx.end();
    });

    expect(sink.events.map((e) => e.kind).sort()).toEqual(['span', 'span', 'span', 'transaction']);
    for (const { kind, event } of sink.events) expect(schemaErrors(kind as 'span', event)).toBe('');

    const tx = sink.events.find((e) => e.kind === 'transaction')!.event;
    expect(tx.context.request.url.pathname).toBe('/users/42');
    expect(tx.context.request.url.search).toBe('?token=%5BREDACTED%5D&q=shoes');
    expect(tx.context.request.headers.authorization).toBe('[REDACTED]');
    expect(tx.context.request.headers['x-custom']).toBe('yes');
    expect(tx.context.request.cookies).toEqual({ sid: '[REDACTED]', theme: '[REDACTED]' });
    expect(tx.context.response.headers['set-cookie']).toBe('[REDACTED]');
    expect(tx.context.response.status_code).toBe(200);
    expect(tx.context.tags).toEqual({ region: 'eu', tenant_id: 7 });
    expect(JSON.stringify(tx)).not.toContain('hunter2');
    expect(JSON.stringify(tx)).not.toContain('tok-secret-9q');

    const db = sink.events.find((e) => e.event.type === 'db')!.event;
    expect(db.context.destination).toMatchObject({ address: '127.0.0.1', port: 5432, service: { resource: 'postgresql/test' } });
    expect(db.context.service.target).toEqual({ type: 'postgresql', name: 'test' });
  });
});
