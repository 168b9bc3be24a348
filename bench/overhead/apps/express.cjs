'use strict';
// Express 5: the same four routes as fastify.cjs. The error handler answers 500 as JSON
// (Express's default one would print every stack to stderr).
const { ready, db, upstreamUrl } = require('./harness.cjs');
const express = require('express');

const app = express();
app.get('/', (req, res) => res.json({ hello: 'world' }));
app.get('/fetch', async (req, res) => {
  const upstream = await fetch(upstreamUrl);
  res.json({ upstream: await upstream.json() });
});
app.get('/sql', (req, res) => res.json(db.readOne()));
app.get('/error', () => {
  throw new Error('bench: this route always fails');
});
app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

const server = app.listen(0, '127.0.0.1', () => ready(server.address().port));
