/**
 * The demo runner's parts a user meets: its options, the route mix (a short run still
 * covers every route of every app), the live p95, the skewed latency of /delay, and that no
 * process outlives a runner that is killed outright.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_ROUTES, LatencyHistogram, RouteMix, UsageError, parseRunOptions, skewedDelayMs } from '@sightline/demo-kit';

const RUNNER = fileURLToPath(new URL('../examples/demo-kit/dist/run.js', import.meta.url));

describe('pnpm demo options', () => {
  it('defaults: load until Ctrl-C, 20 req/s, 4 in flight, collector on 8200, files in the current folder', () => {
    expect(parseRunOptions([], {}, '/work')).toEqual({
      durationMs: undefined,
      requests: undefined,
      concurrency: 4,
      ratePerSecond: 20,
      port: 8200,
      portExplicit: false,
      dir: '/work',
      collectorDb: undefined,
      collectorPgSchema: undefined,
      exitAfterLoad: false,
      fault: undefined,
      faultAfterMs: 360_000,
      help: false,
    });
  });

  it('takes the anomaly demo\'s fault, and says what is wrong with a bad one', () => {
    expect(parseRunOptions(['--fault', 'sql-group', '--fault-after', '2m'], {}, '/')).toMatchObject({ fault: 'sql-group', faultAfterMs: 120_000 });
    expect(parseRunOptions([], { DEMO_FAULT: 'sql-group' }, '/')).toMatchObject({ fault: 'sql-group', faultAfterMs: 360_000 });
    expect(() => parseRunOptions(['--fault', 'sql-write'], {}, '/')).toThrow(new UsageError("--fault must be sql-group, got 'sql-write'"));
    expect(() => parseRunOptions(['--fault', 'sql-group', '--fault-after', 'later'], {}, '/')).toThrow(/--fault-after must look like/);
  });

  it('takes flags (also after a `--`) over DEMO_* variables', () => {
    const o = parseRunOptions(['--', '--duration', '20s', '--port', '0', '--dir', 'tmp', '--exit'], { DEMO_DURATION: '5m', DEMO_REQUESTS: '300', DEMO_RATE: '0' }, '/work');
    expect(o).toMatchObject({ durationMs: 20_000, requests: 300, ratePerSecond: 0, port: 0, portExplicit: true, dir: '/work/tmp', exitAfterLoad: true });
    expect(parseRunOptions([], { DEMO_DURATION: '1.5m', DEMO_EXIT: '1' }, '/')).toMatchObject({ durationMs: 90_000, exitAfterLoad: true });
  });

  it('says what is wrong with a bad value', () => {
    expect(() => parseRunOptions(['--duration', 'soon'], {}, '/')).toThrow(new UsageError("--duration must look like 20s, 5m or 1h, got 'soon'"));
    expect(() => parseRunOptions(['--duration', '2h'], {}, '/')).toThrow(/at most 30m/);
    expect(() => parseRunOptions([], { DEMO_CONCURRENCY: '0' }, '/')).toThrow("--concurrency must be an integer from 1 to 256, got '0'");
    expect(() => parseRunOptions(['--fast'], {}, '/')).toThrow(UsageError);
  });
});

describe('the load', () => {
  it('visits every route of every app once first, however short the run', () => {
    const mix = new RouteMix([
      { service: 'a', url: 'http://a' },
      { service: 'b', url: 'http://b' },
    ]);
    const first = Array.from({ length: DEMO_ROUTES.length * 2 }, () => mix.next());
    const seen = new Set(first.map((r) => `${r.service} ${r.route}`));
    expect(seen.size).toBe(DEMO_ROUTES.length * 2);
    expect(first[0]).toEqual({ service: 'a', route: '/', url: 'http://a/' });
    const later = Array.from({ length: 2_000 }, () => mix.next().route);
    for (const route of DEMO_ROUTES) expect(later, route).toContain(route);
  });

  it('computes p95 within the bucket width', () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.95)).toBeNull();
    for (let ms = 1; ms <= 1000; ms++) h.record(ms);
    expect(h.count).toBe(1000);
    expect(h.quantile(0.95)).toBeGreaterThan(950 / 1.05);
    expect(h.quantile(0.95)).toBeLessThan(950 * 1.05);
    expect(h.quantile(0.5)).toBeGreaterThan(500 / 1.05);
    expect(h.quantile(0.5)).toBeLessThan(500 * 1.05);
  });

  it('draws /delay latencies from a skewed distribution: mostly quick, a long tail, capped', () => {
    const samples = Array.from({ length: 5_000 }, () => skewedDelayMs()).sort((a, b) => a - b);
    const median = samples[2_500]!;
    const p99 = samples[4_950]!;
    expect(median).toBeGreaterThan(20);
    expect(median).toBeLessThan(80);
    expect(p99).toBeGreaterThan(4 * median);
    expect(samples.at(-1)!).toBeLessThanOrEqual(4_000);
  });
});

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('the runner killed outright (SIGKILL)', () => {
  it('leaves nothing running: each child stops when the runner is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-demo-kill-'));
    const runner = spawn(process.execPath, [RUNNER, '--requests', '100000', '--rate', '5', '--port', '0', '--dir', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ports: number[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: runner.stdout! }).on('line', (line) => {
          const listed = /^ {2}\S+ +http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
          if (listed) ports.push(Number(listed[1]));
          if (line.includes('Open http://')) resolve();
        });
        runner.once('exit', (code) => reject(new Error(`runner exited early (${code})`)));
      });
      expect(ports.length).toBe(4);
      for (const port of ports) expect(await reachable(port), `port ${port} while running`).toBe(true);

      const exited = once(runner, 'exit');
      runner.kill('SIGKILL');
      await exited;
      // Bounded: the children stop (flushing first) within their 8 s stop timeout.
      let open = ports;
      for (let i = 0; i < 100 && open.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const still = await Promise.all(open.map(async (p) => ((await reachable(p)) ? p : null)));
        open = still.filter((p): p is number => p !== null);
      }
      expect(open, 'ports still listening after the runner was killed').toEqual([]);
    } finally {
      if (runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
