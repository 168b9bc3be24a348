/** Zero-code runs: the fixture app in a child process, with and without the register entry. */
import { join } from 'node:path';
import { agentEnv, startChildApp } from '../../agent/test/fixtures/http/child-app.js';
import { BODY_MAX_BYTES, SANITIZE_FIELD_NAMES, type AppUnderTest } from '../../agent/test/fixtures/http/framework-suite.js';

const PACKAGE_DIR = join(import.meta.dirname, '..');
const APP_ENV = { NODE_ENV: 'production' };

export function fixture(file: string): string {
  return join(import.meta.dirname, 'fixtures', file);
}

export async function startZeroCode(file: string, intakeUrl: string, env: Record<string, string> = {}): Promise<AppUnderTest> {
  const app = await startChildApp(fixture(file), {
    cwd: PACKAGE_DIR,
    agent: true,
    env: {
      ...agentEnv(intakeUrl, 'fastify-zero-code'),
      ...APP_ENV,
      SIGHTLINE_SANITIZE_FIELD_NAMES: SANITIZE_FIELD_NAMES.join(','),
      SIGHTLINE_CAPTURE_BODY: 'all',
      SIGHTLINE_CAPTURE_BODY_MAX_BYTES: String(BODY_MAX_BYTES),
      ...env,
    },
  });
  return { url: app.url, stop: async () => void (await app.stop()) };
}

export async function startPlain(file: string): Promise<AppUnderTest> {
  const app = await startChildApp(fixture(file), { cwd: PACKAGE_DIR, agent: false, env: APP_ENV });
  return { url: app.url, stop: async () => void (await app.stop()) };
}
