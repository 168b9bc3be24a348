/** What each fixture route (fixtures/routes.cjs) must be named and must report, on Express 4 and 5. */
import { POSTED_USER, SECRET_HEADERS, type Case } from '../../agent/test/fixtures/http/framework-suite.js';

export const EXPRESS_CASES: Case[] = [
  { path: '/', name: 'GET /', status: 200 },
  { path: '/users/42?token=abc&q=1', name: 'GET /users/:id', status: 200, headers: SECRET_HEADERS },
  { method: 'POST', path: '/users', name: 'POST /users', status: 201, json: POSTED_USER },
  { path: '/chain/7', name: 'GET /chain/:id', status: 200 },
  { method: 'PUT', path: '/chain/7', name: 'PUT /chain/:id', status: 200 },
  // A RegExp path is named by its source; an array path by its entries.
  { path: '/files/a/b.txt', name: 'GET /^\\/files\\/.*$/', status: 200 },
  { path: '/alias-b', name: 'GET /alias-a,/alias-b', status: 200 },
  // Mounts: app.use('/api', router), a router in it, a parameter in the mount path, a sub-app.
  { path: '/api', name: 'GET /api', status: 200 },
  { path: '/api/items/5', name: 'GET /api/items/:itemId', status: 200 },
  { path: '/api/v1/things/9', name: 'GET /api/v1/things/:thingId', status: 200 },
  { path: '/orgs/3/members/4', name: 'GET /orgs/:orgId/members/:memberId', status: 200 },
  { path: '/admin/stats', name: 'GET /admin/stats', status: 200 },
  { path: '/headers', name: 'GET /headers', status: 200 },
  { path: '/named-by-user', name: 'custom name', status: 200 },
  { path: '/nope/123', name: 'GET unknown route', status: 404 },
  { method: 'POST', path: '/missing', name: 'POST unknown route', status: 404 },
  { path: '/status/404', name: 'GET /status/:code', status: 404 },
  { path: '/status/503', name: 'GET /status/:code', status: 503 },
  // Errors reaching Express's final handler.
  { path: '/error/sync', name: 'GET /error/sync', status: 500, error: { type: 'Error', message: 'sync boom' } },
  { path: '/error/next', name: 'GET /error/next', status: 500, error: { type: 'TypeError', message: 'next boom' } },
  { path: '/error/async', name: 'GET /error/async', status: 500, error: { type: 'RangeError', message: 'async boom' } },
  { path: '/error/string', name: 'GET /error/string', status: 500, error: { log: 'a string error' } },
  { path: '/error/middleware', name: 'GET /error/middleware', status: 500, error: { message: 'second handler boom' } },
  // A 4xx error is normal traffic: not reported (errorOn4xx is off).
  { path: '/error/not-found', name: 'GET /error/not-found', status: 404 },
  // Errors the app's own error middleware answers (502 JSON).
  { path: '/api/v1/boom', name: 'GET /api/v1/boom', status: 502, error: { message: 'nested router boom' } },
  { path: '/api/fail', name: 'GET /api/fail', status: 502, error: { message: 'api fail' } },
];
