/**
 * The instrumentation table: every library the agent traces, one entry each. Framework and
 * client instrumentations add themselves here.
 */
import type { ChannelInstrumentation, ModulePatch } from './types.js';
import { EXPRESS_PATCH } from './express.js';
import { FASTIFY_INSTRUMENTATION } from './fastify.js';
import { HTTP_SERVER_INSTRUMENTATION } from './http-server.js';
import { betterSqlite3Patch } from './better-sqlite3.js';
import { httpClientInstrumentation } from './http-client.js';
import { mysql2Channels, mysql2PoolPatch } from './mysql2.js';
import { nodeSqliteInstrumentation } from './node-sqlite.js';
import { pgPatch } from './pg.js';
import { undiciInstrumentation } from './undici.js';

export const MODULE_PATCHES: readonly ModulePatch[] = [
  pgPatch,
  mysql2PoolPatch,
  betterSqlite3Patch,
  EXPRESS_PATCH,
];

export const CHANNEL_INSTRUMENTATIONS: readonly ChannelInstrumentation[] = [
  httpClientInstrumentation,
  undiciInstrumentation,
  mysql2Channels,
  nodeSqliteInstrumentation,
  HTTP_SERVER_INSTRUMENTATION,
  FASTIFY_INSTRUMENTATION,
];

/** Module names the ESM loader hook must intercept (all others load untouched). */
export function hookedModuleNames(): string[] {
  const names = new Set<string>();
  for (const p of MODULE_PATCHES) for (const m of p.modules) names.add(m.split('/').slice(0, m.startsWith('@') ? 2 : 1).join('/'));
  return [...names];
}
