/** What each fixture route (fixtures/routes.cjs) must be named and must report, on Fastify 4 and 5. */
import { POSTED_USER, SECRET_HEADERS, type Case } from '../../agent/test/fixtures/http/framework-suite.js';

export const FASTIFY_CASES: Case[] = [
  { path: '/', name: 'GET /', status: 200 },
  { path: '/users/42?token=abc&q=1', name: 'GET /users/:id', status: 200, headers: SECRET_HEADERS },
  { method: 'POST', path: '/users', name: 'POST /users', status: 201, json: POSTED_USER },
  // A parameter with a RegExp, a wildcard, a route for several methods.
  { path: '/files/12.png', name: 'GET /files/:name(^\\d+).png', status: 200 },
  { path: '/static/css/site.css', name: 'GET /static/*', status: 200 },
  { path: '/multi', name: 'GET /multi', status: 200 },
  { method: 'POST', path: '/multi', name: 'POST /multi', status: 200 },
  // Prefixes and register scopes.
  { path: '/api', name: 'GET /api', status: 200 },
  { path: '/api/items/5', name: 'GET /api/items/:itemId', status: 200 },
  { path: '/api/v1/things/9', name: 'GET /api/v1/things/:thingId', status: 200 },
  { path: '/scoped/4', name: 'GET /scoped/:x', status: 200 },
  { path: '/headers', name: 'GET /headers', status: 200 },
  { path: '/named-by-user', name: 'custom name', status: 200 },
  { path: '/nope/123', name: 'GET unknown route', status: 404 },
  { method: 'POST', path: '/missing', name: 'POST unknown route', status: 404 },
  { path: '/status/404', name: 'GET /status/:code', status: 404 },
  { path: '/status/503', name: 'GET /status/:code', status: 503 },
  // Errors reaching Fastify's default error handler.
  { path: '/error/sync', name: 'GET /error/sync', status: 500, error: { type: 'Error', message: 'sync boom' } },
  { path: '/error/async', name: 'GET /error/async', status: 500, error: { type: 'RangeError', message: 'async boom' } },
  { path: '/error/send', name: 'GET /error/send', status: 500, error: { type: 'TypeError', message: 'sent boom' } },
  { path: '/error/hook', name: 'GET /error/hook', status: 500, error: { message: 'hook boom' } },
  // A 4xx error is normal traffic: not reported (errorOn4xx is off).
  { path: '/error/not-found', name: 'GET /error/not-found', status: 404 },
  // Errors the scope's own error handler answers (502 JSON).
  { path: '/api/v1/boom', name: 'GET /api/v1/boom', status: 502, error: { message: 'nested scope boom' } },
  { path: '/api/fail', name: 'GET /api/fail', status: 502, error: { message: 'api fail' } },
];
