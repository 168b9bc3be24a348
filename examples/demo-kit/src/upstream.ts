/**
 * The demo's upstream: a plain node:http service ("inventory") the demo apps call from
 * /upstream. It runs its own agent as `demo-upstream`, continues the caller's trace from the
 * `traceparent` header, and answers 200, 404 or 502 at random, after a short wait.
 *
 *   node examples/demo-kit/dist/upstream.js     (PORT, SIGHTLINE_SERVER_URL from the environment)
 */
import { createServer } from 'node:http';
import { close, setTransactionName, start } from '@sightline/agent';
import { sleep } from './delay.js';
import { announceReady, closeServer, onShutdown } from './lifecycle.js';

start({ serviceName: 'demo-upstream' });

const SKU = /^\/inventory\/([\w-]+)$/;

/** 75% in stock or not, 15% unknown item, 10% the upstream's own upstream failing. */
function outcome(): 200 | 404 | 502 {
  const r = Math.random();
  return r < 0.75 ? 200 : r < 0.9 ? 404 : 502;
}

const server = createServer(async (req, res) => {
  const match = SKU.exec(req.url ?? '');
  if (req.method !== 'GET' || match === null) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such route"}');
    return;
  }
  setTransactionName('GET /inventory/:sku');
  await sleep(5 + Math.random() * 30);
  const status = outcome();
  const body =
    status === 200
      ? { sku: match[1], inStock: Math.floor(Math.random() * 40), warehouse: 'demo-1' }
      : status === 404
        ? { error: `unknown sku ${match[1]}` }
        : { error: 'warehouse service unavailable' };
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});

server.keepAliveTimeout = 5_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => announceReady('demo-upstream', server));
onShutdown(async () => {
  await closeServer(server);
  await close();
});
