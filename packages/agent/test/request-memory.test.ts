/**
 * A transaction waiting in the transport's queue (a slow or unreachable collector) holds no
 * reference to its request or response: the GC frees them once the response ended, and the
 * transaction is still shipped with its request and response context. Nor does an ended
 * transaction that an idle keep-alive connection still reaches. Run in child processes with
 * --expose-gc, against the built agent.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/memory/queued-requests.mjs', import.meta.url));
const IDLE_FIXTURE = fileURLToPath(new URL('./fixtures/memory/idle-keepalive.mjs', import.meta.url));

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
    throw new Error('build the agent first: npx tsc -b packages/agent');
  }
});

function run(fixture = FIXTURE, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SIGHTLINE_LOG_LEVEL: 'error' };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--expose-gc', fixture, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

it('a queued transaction holds no reference to its request or response once the response ended', async () => {
  const { code, stdout, stderr } = await run();
  expect(code, stderr).toBe(0);
  const r = JSON.parse(stdout.trim().split('\n').pop()!);
  // Most transactions were still waiting for the collector when the GC ran...
  expect(r.queuedBeforeGc).toBeGreaterThanOrEqual(r.requests - 2);
  expect(r.stillQueued).toBe(r.queuedBeforeGc);
  // ...and every request and response was freed all the same.
  expect(r.freed).toBe(2 * r.requests);
  // Once the collector answered, each arrived with its request and response context.
  expect(r.delivered).toHaveLength(r.requests);
  for (const tx of r.delivered) {
    const n = tx.context.request.url.pathname.slice(1);
    expect(tx.context.request.method).toBe('GET');
    expect(tx.context.request.headers['x-test']).toBe('memory');
    expect(tx.context.request.socket.remote_address).toBe('127.0.0.1');
    expect(tx.context.response).toMatchObject({ status_code: 200, finished: true, headers_sent: true });
    expect(tx.context.response.headers['x-n']).toBe(n);
  }
}, 30_000);

// Node's keep-alive timer for the idle connection is made in the request's async context and
// holds it, and with it the request's transaction, until the connection's next request.
for (const sampleRate of ['0', '1']) {
  it(`an idle keep-alive connection does not keep its last request and response alive (sample rate ${sampleRate})`, async () => {
    const { code, stdout, stderr } = await run(IDLE_FIXTURE, [sampleRate]);
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(r.idleSockets).toBeGreaterThan(0);
    expect(r.kept).toEqual([]);
    expect(r.transactions).toBe(sampleRate === '1' ? r.requests : 0);
    // An error reported after the response ended still carries its request.
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].context.request.url.pathname).toBe('/0');
    expect(r.errors[0].context.request.headers['x-test']).toBe('memory');
  }, 30_000);
}
