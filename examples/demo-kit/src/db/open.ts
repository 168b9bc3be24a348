import { openPostgresPeople } from './postgres.js';
import type { PeopleStore } from './people.js';
import { openSqlitePeople } from './sqlite.js';

export interface OpenPeopleOptions {
  /** postgres://… to use PostgreSQL; otherwise SQLite. */
  databaseUrl?: string | undefined;
  /** The SQLite file (created with its folder if missing). */
  sqliteFile: string;
  /** A PostgreSQL schema to create and use instead of the connection's default. */
  pgSchema?: string | undefined;
}

/** Opens the people table: PostgreSQL when a database URL is given, else SQLite. Call it after the agent started. */
export async function openPeople(options: OpenPeopleOptions): Promise<PeopleStore> {
  if (options.databaseUrl) return openPostgresPeople(options.databaseUrl, options.pgSchema || undefined);
  return openSqlitePeople(options.sqliteFile);
}

/** The options the runner passes to each app in its environment. */
export function peopleOptionsFromEnv(env: NodeJS.ProcessEnv, serviceName: string): OpenPeopleOptions {
  return {
    databaseUrl: env.DATABASE_URL,
    sqliteFile: env.DEMO_SQLITE_FILE ?? `.sightline-demo/${serviceName}.sqlite`,
    pgSchema: env.DEMO_PG_SCHEMA,
  };
}
