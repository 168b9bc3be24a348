'use strict';
// Fastify 5: `/` JSON hello world, `/fetch` one outbound fetch to the local upstream,
// `/sql` one better-sqlite3 query, `/error` a handler that throws (answered 500).
const { ready, db, upstreamUrl } = require('./harness.cjs');
const fastify = require('fastify')({ logger: false });

fastify.get('/', async () => ({ hello: 'world' }));
fastify.get('/fetch', async () => {
  const res = await fetch(upstreamUrl);
  return { upstream: await res.json() };
});
fastify.get('/sql', async () => db.readOne());
fastify.get('/error', async () => {
  throw new Error('bench: this route always fails');
});

fastify.listen({ port: 0, host: '127.0.0.1' }).then(() => ready(fastify.server.address().port));
