/** Builds intake v2 payloads with known numbers, so query results can be checked exactly. */
export const BASE_MS = Date.now() - 30 * 60_000;
const us = (ms: number): number => Math.round(ms * 1000);
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export const metadata = (service: string, environment: string) =>
  JSON.stringify({
    metadata: {
      service: { name: service, environment, agent: { name: 'nodejs', version: '4.0.0' }, language: { name: 'javascript' } },
    },
  });

export const TRACE_ID = 'abcdef0123456789abcdef0123456789';
export const TX_ID = '1111111111111111';

export function transaction(i: number, name: string, durationMs: number, outcome: 'success' | 'failure', atMs: number, traceId = hex(i, 32)) {
  return JSON.stringify({
    transaction: {
      id: hex(i, 16), trace_id: traceId, name, type: 'request', duration: durationMs, outcome,
      result: outcome === 'failure' ? 'HTTP 5xx' : 'HTTP 2xx', timestamp: us(atMs), span_count: { started: 0 }, sampled: true,
    },
  });
}

export function error(id: string, type: string, message: string, atMs: number, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ error: { id, timestamp: us(atMs), culprit: 'getUser (src/users.js)', exception: { type, message, handled: false }, ...extra } });
}

export const FRAMES = [
  { function: 'getUser', filename: 'src/users.js', abs_path: '/app/src/users.js', lineno: 42, colno: 11, library_frame: false,
    pre_context: ['function getUser(id) {', '  const user = users.get(id);'], context_line: "  if (!user) throw new TypeError(`user ${id} not found`);", post_context: ['  return user;', '}'] },
  { function: 'Layer.handle', filename: 'node_modules/express/lib/router/layer.js', abs_path: '/app/node_modules/express/lib/router/layer.js', lineno: 95, library_frame: true },
  { function: 'next', filename: 'node_modules/express/lib/router/route.js', abs_path: '/app/node_modules/express/lib/router/route.js', lineno: 149, library_frame: true },
  { function: 'handler', filename: 'src/routes.js', abs_path: '/app/src/routes.js', lineno: 7, library_frame: false, context_line: '  res.json(getUser(req.params.id));' },
];

/**
 * checkout/production: 100 × "GET /cart" taking 1..100 ms (every tenth a failure) and
 * 20 × "POST /pay" taking 200 ms, one minute apart; one full trace with spans and an
 * error; errors "user N not found" (one group) and a timeout (another); a CPU metric.
 * search/staging: 10 × "GET /q".
 */
export function seedPayloads(): string[] {
  const checkout = [metadata('checkout', 'production')];
  for (let i = 1; i <= 100; i++) {
    checkout.push(transaction(i, 'GET /cart', i, i % 10 === 0 ? 'failure' : 'success', BASE_MS + (i % 20) * 60_000));
  }
  for (let i = 101; i <= 120; i++) checkout.push(transaction(i, 'POST /pay', 200, 'success', BASE_MS + (i - 101) * 60_000));
  checkout.push(transaction(999, 'GET /users/:id', 350, 'failure', BASE_MS + 5_000, TRACE_ID).replace(hex(999, 16), TX_ID));
  checkout.push(JSON.stringify({ span: { id: '2222222222222222', trace_id: TRACE_ID, transaction_id: TX_ID, parent_id: TX_ID, name: 'SELECT * FROM users', type: 'db', subtype: 'postgresql', action: 'query', timestamp: us(BASE_MS + 5_010), duration: 120 } }));
  checkout.push(JSON.stringify({ span: { id: '3333333333333333', trace_id: TRACE_ID, transaction_id: TX_ID, parent_id: '2222222222222222', name: 'GET upstream', type: 'external', subtype: 'http', timestamp: us(BASE_MS + 5_150), duration: 80 } }));
  checkout.push(error('e000000000000001', 'TypeError', 'user 42 not found', BASE_MS + 1_000));
  checkout.push(error('e000000000000002', 'TypeError', 'user 7 not found', BASE_MS + 2_000));
  checkout.push(error('e000000000000003', 'TypeError', 'user 0x1f not found', BASE_MS + 5_300, {
    trace_id: TRACE_ID, transaction_id: TX_ID, parent_id: TX_ID,
    exception: { type: 'TypeError', message: 'user 0x1f not found', handled: false, stacktrace: FRAMES },
  }));
  checkout.push(error('e000000000000004', 'TimeoutError', 'upstream timed out after 3000 ms', BASE_MS + 3_000));
  for (let i = 0; i < 3; i++) {
    checkout.push(JSON.stringify({ metricset: { timestamp: us(BASE_MS + i * 60_000), samples: { 'system.cpu.total.norm.pct': { value: 0.25 * (i + 1) } }, tags: { host: 'a' } } }));
  }
  const search = [metadata('search', 'staging')];
  for (let i = 200; i < 210; i++) search.push(transaction(i, 'GET /q', 5, 'success', BASE_MS + (i - 200) * 60_000));
  return [checkout.join('\n'), search.join('\n')];
}

export const ERROR_FINGERPRINT_GROUPS = { userNotFound: 3, timeout: 1 };
