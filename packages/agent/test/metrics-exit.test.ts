/**
 * Metrics are not lost when a short-lived app ends, and never keep it alive: a child
 * process (running the built dist files, as an app would) with a long metrics interval
 * sends its RED metrics on close() and on a natural exit, and exits by itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeServer } from './helpers/intake-server.js';
import { forTransaction, metricsets, sumOf, waitUntil } from './helpers/metricsets.js';

const INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const intake = new IntakeServer();
let dir: string;

beforeAll(async () => {
  if (!existsSync(INDEX)) throw new Error(`build the agent first (npx tsc -b packages/agent): ${INDEX} is missing`);
  dir = mkdtempSync(join(tmpdir(), 'sightline-metrics-exit-'));
  await intake.start();
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await intake.close();
});

function runApp(name: string, body: string): Promise<number | null> {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `
import { start, startTransaction, close } from ${JSON.stringify(pathToFileURL(INDEX).href)};
start({ serverUrl: ${JSON.stringify(intake.url)}, serviceName: ${JSON.stringify(name)}, metricsIntervalMs: 600000, flushIntervalMs: 10, logLevel: 'off' });
for (let i = 0; i < 5; i++) startTransaction('GET /short', 'request').end();
${body}
`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('metrics at the end of a process', () => {
  it('are sent by close()', async () => {
    expect(await runApp('closes', 'await close();')).toBe(0);
    await waitUntil(() => metricsets(intake).some((m) => m.transaction?.name === 'GET /short'));
    expect(sumOf(metricsets(intake), 'transactions_total', forTransaction('GET /short'))).toBe(5);
  });

  it('are sent when the event loop runs dry, and the process still exits by itself', async () => {
    const before = metricsets(intake).length;
    expect(await runApp('exits', '')).toBe(0);
    await waitUntil(() => metricsets(intake).length > before && metricsets(intake).slice(before).some((m) => m.transaction?.name === 'GET /short'));
    expect(sumOf(metricsets(intake).slice(before), 'transactions_total', forTransaction('GET /short'))).toBe(5);
    expect(intake.metadata?.service).toMatchObject({ name: 'exits' });
  });
});
