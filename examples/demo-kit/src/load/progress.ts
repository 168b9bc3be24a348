/**
 * The load's live display: on a terminal, one line redrawn in place with a progress bar,
 * requests, errors and p95; elsewhere (a log, CI, a test), a plain line every few seconds.
 */
import type { WriteStream } from 'node:tty';
import type { LoadStats } from './stats.js';

const BAR_WIDTH = 24;
const TTY_REFRESH_MS = 200;
const PLAIN_EVERY_MS = 5_000;

export interface ProgressBound {
  durationMs?: number | undefined;
  requests?: number | undefined;
}

export interface Progress {
  /** Writes a line above the live line (which is redrawn after it). */
  log(line: string): void;
  stop(): void;
}

export function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function fraction(stats: LoadStats, bound: ProgressBound): number {
  const parts: number[] = [];
  if (bound.durationMs !== undefined) parts.push(stats.elapsedMs() / bound.durationMs);
  if (bound.requests !== undefined) parts.push(stats.total.requests / bound.requests);
  return Math.min(1, Math.max(0, ...parts));
}

export function summaryLine(stats: LoadStats): string {
  const t = stats.total;
  const rate = t.requests / Math.max(0.001, stats.elapsedMs() / 1000);
  return `${t.requests} requests  ${t.errors} errors  ${t.clientErrors} 4xx  p95 ${fmtMs(t.latency.quantile(0.95))}  ${rate.toFixed(1)} req/s`;
}

export function startProgress(stats: LoadStats, bound: ProgressBound, out: NodeJS.WriteStream = process.stdout): Progress {
  const tty = out.isTTY === true && process.env.TERM !== 'dumb';
  if (!tty) {
    const timer = setInterval(() => {
      out.write(`load: ${summaryLine(stats)} (${Math.round(100 * fraction(stats, bound))}%)\n`);
    }, PLAIN_EVERY_MS);
    timer.unref();
    return {
      log: (line) => out.write(`${line}\n`),
      stop: () => clearInterval(timer),
    };
  }
  const draw = (): void => {
    const f = fraction(stats, bound);
    const filled = Math.round(f * BAR_WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    const line = `  ${bar} ${String(Math.round(f * 100)).padStart(3)}%  ${summaryLine(stats)}`;
    const width = (out as WriteStream).columns ?? 120;
    out.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
  };
  const timer = setInterval(draw, TTY_REFRESH_MS);
  timer.unref();
  draw();
  return {
    log(line) {
      out.write(`\r\x1b[2K${line}\n`);
      draw();
    },
    stop() {
      clearInterval(timer);
      draw();
      out.write('\n');
    },
  };
}

/** The per-route table printed when the load ends. */
export function summaryTable(stats: LoadStats): string {
  const rows = [...stats.byKey.entries()].sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(20, ...rows.map(([k]) => k.length));
  const head = `  ${'service and route'.padEnd(width)}  ${'requests'.padStart(8)}  ${'5xx/fail'.padStart(8)}  ${'4xx'.padStart(5)}  ${'p50'.padStart(8)}  ${'p95'.padStart(8)}`;
  const lines = rows.map(
    ([key, t]) =>
      `  ${key.padEnd(width)}  ${String(t.requests).padStart(8)}  ${String(t.errors).padStart(8)}  ${String(t.clientErrors).padStart(5)}  ${fmtMs(t.latency.quantile(0.5)).padStart(8)}  ${fmtMs(t.latency.quantile(0.95)).padStart(8)}`,
  );
  return [head, ...lines, `  total: ${summaryLine(stats)}`].join('\n');
}
