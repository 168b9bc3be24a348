/**
 * The agent is an ES module, and importing a builtin from ESM evaluates all of its lazy
 * exports: `node:http`'s WebSocket loads undici (Node 22+, with tls, http2 and web streams),
 * `node:crypto`'s webcrypto loads itself. The agent requires those builtins instead, so an app
 * that uses none of them does not carry them (~1.9 MB of heap on Node 24).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const AGENT_DIR = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/runtime/builtin-loads.cjs', import.meta.url));

function run(withAgent: boolean): { traced: boolean; unused: string[] } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGHTLINE_SERVER_URL: 'http://127.0.0.1:9',
    SIGHTLINE_SERVICE_NAME: 'builtin-loads',
    SIGHTLINE_METRICS_INTERVAL: '0',
    SIGHTLINE_LOG_LEVEL: 'off',
  };
  delete env.NODE_OPTIONS;
  const args = withAgent ? ['--import', '@sightline/agent/register', FIXTURE] : [FIXTURE];
  const child = spawnSync(process.execPath, args, { cwd: AGENT_DIR, env, encoding: 'utf8', timeout: 20_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout);
}

describe('builtins an app does not use', () => {
  it('are not loaded by the agent: no undici, web streams, http2 or webcrypto', () => {
    const bare = run(false);
    expect(bare.traced).toBe(false);
    expect(bare.unused.some((m) => /undici|webcrypto/.test(m)), 'the app itself loads them').toBe(false);
    const traced = run(true);
    expect(traced.traced, 'the agent did not trace the outbound request').toBe(true);
    // What Node loads for a plain HTTP app anyway (Node 20: two web stream helpers), and no more.
    expect(traced.unused).toEqual(bare.unused);
  });
});
