/**
 * SQLite through `node:sqlite` (Node 22.5+): DatabaseSync exec and StatementSync
 * run/get/all/iterate are db/sqlite spans. Built-in classes are shared by CJS and ESM, so
 * they are patched at start and restored at close. On Node 22 loading the module prints an
 * ExperimentalWarning into the app's output, so it is only patched from Node 23 on; Node 20
 * has no node:sqlite and nothing happens.
 */
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { unwrapSqliteMethod, wrapSqliteMethod, type SqliteAccess } from './sql/sqlite-methods.js';
import type { ChannelInstrumentation } from './types.js';

const STATEMENT_METHODS = ['run', 'get', 'all', 'iterate'] as const;

function loadSqlite(): any {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 23 || typeof process.getBuiltinModule !== 'function') return null;
  try {
    return process.getBuiltinModule('node:sqlite') ?? null;
  } catch {
    return null;
  }
}

/** The file of a DatabaseSync (Node 24: `location()`); a statement does not know its database. */
function fileOf(db: any): string | null {
  try {
    if (typeof db?.location === 'function') return db.location() ?? ':memory:';
  } catch {
    // A closed database.
  }
  return null;
}

/** Statement → its database's file, recorded by prepare. */
const statementFiles = new WeakMap<object, string | null>();

const access: SqliteAccess = {
  sql(target: any, args: ArrayLike<unknown>) {
    return typeof target?.sourceSQL === 'string' ? target.sourceSQL : args[0];
  },
  file(target: any) {
    return typeof target?.sourceSQL === 'string' ? (statementFiles.get(target) ?? null) : fileOf(target);
  },
};

function wrapPrepare(dbProto: any): () => void {
  const prepare = dbProto.prepare;
  if (typeof prepare !== 'function') return () => {};
  dbProto.prepare = function prepareStatement(this: unknown) {
    const stmt = prepare.apply(this, arguments);
    if (stmt !== null && typeof stmt === 'object') statementFiles.set(stmt, fileOf(this));
    return stmt;
  };
  return () => {
    dbProto.prepare = prepare;
  };
}

export const nodeSqliteInstrumentation: ChannelInstrumentation = {
  id: 'node:sqlite',
  enable(agent: Agent) {
    const sqlite = loadSqlite();
    const dbProto = sqlite?.DatabaseSync?.prototype;
    const stmtProto = sqlite?.StatementSync?.prototype;
    if (!dbProto || !stmtProto) return () => {};
    let unwrapPrepare = (): void => {};
    try {
      unwrapPrepare = wrapPrepare(dbProto);
      wrapSqliteMethod(dbProto, 'exec', agent, access);
      for (const m of STATEMENT_METHODS) wrapSqliteMethod(stmtProto, m, agent, access);
    } catch (err) {
      logger.once('warn', 'patch:node:sqlite', `could not instrument node:sqlite: ${(err as Error)?.message ?? err}`);
    }
    return () => {
      unwrapPrepare();
      unwrapSqliteMethod(dbProto, 'exec');
      for (const m of STATEMENT_METHODS) unwrapSqliteMethod(stmtProto, m);
    };
  },
};
