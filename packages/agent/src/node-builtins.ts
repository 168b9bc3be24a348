/**
 * The builtins whose ES module namespace costs more than the module itself, required through
 * CommonJS instead of imported. Node builds a builtin's ESM namespace by reading every export,
 * and reading runs the lazy ones: `node:http`'s WebSocket, CloseEvent and MessageEvent load
 * undici (Node 22+; with it tls, http2, web streams and worker_threads), `node:crypto`'s
 * webcrypto, `node:util`'s and `node:fs`'s streams. The agent is an ES module, so an app that
 * uses none of them paid for them: on Node 24, a Fastify app with the agent loaded loaded 27
 * fewer internal modules once these were required, with 1.2 MB less heap and 5 MB less RSS.
 * `require` returns the object a default import gives (the one every CommonJS caller gets).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const nodeHttp = require('node:http') as typeof import('node:http');
export const nodeHttps = require('node:https') as typeof import('node:https');
export const { createHash, randomFillSync } = require('node:crypto') as typeof import('node:crypto');
export const { inspect, isDeepStrictEqual } = require('node:util') as typeof import('node:util');
export const { readFileSync } = require('node:fs') as typeof import('node:fs');
