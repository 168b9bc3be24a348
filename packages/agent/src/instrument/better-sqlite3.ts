/**
 * SQLite through `better-sqlite3`: Statement run/get/all/iterate and Database exec are
 * db/sqlite spans. The Statement class is native and not exported, so its prototype is
 * patched the first time the app prepares a statement. Transactions run their statements
 * (BEGIN and COMMIT included) through the same methods, so their spans appear inside.
 */
import type { Agent } from '../agent.js';
import { getAgent } from '../instance.js';
import { WRAPPED, wrapSqliteMethod, type SqliteAccess } from './sql/sqlite-methods.js';
import type { ModulePatch } from './types.js';

const STATEMENT_METHODS = ['run', 'get', 'all', 'iterate'] as const;

const access: SqliteAccess = {
  sql(target: any, args: ArrayLike<unknown>) {
    // A Statement knows its source; Database.exec(sql) is given it.
    return typeof target?.source === 'string' ? target.source : args[0];
  },
  file(target: any) {
    const db = typeof target?.source === 'string' ? target.database : target;
    return typeof db?.name === 'string' ? db.name : null;
  },
};

export const betterSqlite3Patch: ModulePatch = {
  id: 'better-sqlite3',
  modules: ['better-sqlite3'],
  patch(Database: any, _info, agent: Agent) {
    const proto = Database?.prototype;
    const prepare = proto?.prepare;
    if (typeof prepare !== 'function' || prepare[WRAPPED] !== undefined) return Database;
    let statementsPatched = false;
    const wrappedPrepare = function prepareStatement(this: unknown) {
      const stmt = prepare.apply(this, arguments);
      if (!statementsPatched && getAgent() === agent && stmt !== null && typeof stmt === 'object') {
        statementsPatched = true;
        const stmtProto = Object.getPrototypeOf(stmt);
        for (const m of STATEMENT_METHODS) wrapSqliteMethod(stmtProto, m, agent, access);
      }
      return stmt;
    };
    (wrappedPrepare as any)[WRAPPED] = prepare;
    proto.prepare = wrappedPrepare;
    wrapSqliteMethod(proto, 'exec', agent, access);
    return Database;
  },
};
