/**
 * Node's process.nextTick builds each tick object with a literal of computed keys. If the V8
 * maps of that literal are collected while no tick object is alive, the next ticks build new
 * ones and nextTick's keyed definitions turn megamorphic for good: every later call pays V8
 * runtime calls (~1.4k instructions each, 11–15 ticks a request). The agent keeps one tick
 * object alive so that cannot happen. V8's own description of nextTick's feedback tells.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/runtime/', import.meta.url));

function literalFeedback(mode: 'none' | 'agent'): string[] {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGHTLINE_SERVER_URL: 'http://127.0.0.1:9',
    SIGHTLINE_SERVICE_NAME: 'tick-maps',
    SIGHTLINE_METRICS_INTERVAL: '0',
    SIGHTLINE_LOG_LEVEL: 'off',
  };
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', join(FIXTURE_DIR, 'tick-maps.cjs'), mode], {
    cwd: FIXTURE_DIR,
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return [...run.stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1]!);
}

describe('nextTick after a full GC with no tick pending', () => {
  beforeAll(() => {
    if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
      throw new Error('build the agent first: npx tsc -b packages/agent');
    }
  });

  it('without the agent, the tick literal turns megamorphic (what the agent prevents)', () => {
    const states = literalFeedback('none');
    expect(states.length, 'no feedback printed for the literal').toBeGreaterThanOrEqual(4);
    expect(states).toContain('MEGAMORPHIC');
  });

  it('with the agent started, every keyed definition of the literal stays monomorphic', () => {
    const states = literalFeedback('agent');
    expect(states.length, 'no feedback printed for the literal').toBeGreaterThanOrEqual(4);
    expect(states.every((s) => s === 'MONOMORPHIC'), states.join(' ')).toBe(true);
  });
});
