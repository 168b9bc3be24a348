/**
 * The real databases the tests use (DESIGN.md): PostgreSQL and MariaDB on 127.0.0.1.
 * Under CI=true a test that needs one always runs (and fails if the service is missing);
 * elsewhere it is skipped, with the reason printed, when the port does not answer.
 */
import { connect } from 'node:net';

export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MARIADB_URL = 'mysql://root@127.0.0.1:3306/test';

function portOpen(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether tests needing `name` should run; prints why not when they are skipped. */
export async function serviceTestsRun(name: 'postgres' | 'mariadb'): Promise<boolean> {
  if (process.env.CI === 'true') return true;
  const port = name === 'postgres' ? 5432 : 3306;
  if (await portOpen(port)) return true;
  console.warn(`skipping ${name} tests: nothing answers on 127.0.0.1:${port} (they always run under CI=true)`);
  return false;
}
