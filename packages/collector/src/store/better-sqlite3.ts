/**
 * better-sqlite3, in the major version that works on this Node. Node 24 changed
 * `node::ObjectWrap`, and better-sqlite3 12's statements then abort the process when the GC
 * frees them (`Assertion failed: (env) != nullptr`); better-sqlite3 13 (Node-API) fixes
 * that but crashes on Node 20. Both are installed; the Node version picks.
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

export const BetterSqlite3: typeof Database = require(NODE_MAJOR >= 22 ? 'better-sqlite3-13' : 'better-sqlite3');
