/**
 * The agent's own logger. It writes to stderr, never throws, and can say a thing once
 * (a warning per cause, not per event: an agent that floods the app's logs is a fault).
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, off: 100 };

export interface LogSink {
  (level: LogLevel, message: string): void;
}

function stderrSink(level: LogLevel, message: string): void {
  try {
    process.stderr.write(`[sightline] ${level}: ${message}\n`);
  } catch {
    // A closed stderr must not take the app down.
  }
}

export class Logger {
  private threshold: number;
  private sink: LogSink;
  private readonly said = new Set<string>();

  constructor(level: LogLevel = 'warn', sink: LogSink = stderrSink) {
    this.threshold = LEVELS[level];
    this.sink = sink;
  }

  setLevel(level: LogLevel): void {
    this.threshold = LEVELS[level];
  }

  setSink(sink: LogSink): void {
    this.sink = sink;
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  log(level: LogLevel, message: string): void {
    if (LEVELS[level] < this.threshold) return;
    this.sink(level, message);
  }

  debug(message: string): void {
    this.log('debug', message);
  }

  info(message: string): void {
    this.log('info', message);
  }

  warn(message: string): void {
    this.log('warn', message);
  }

  error(message: string): void {
    this.log('error', message);
  }

  /** Logs the first time `key` is seen; later calls are silent. Returns whether it logged. */
  once(level: LogLevel, key: string, message: string): boolean {
    if (this.said.has(key)) return false;
    if (this.said.size > 1000) this.said.clear();
    this.said.add(key);
    this.log(level, message);
    return true;
  }

  /** Forgets which keys were said, so a recovered-then-failed-again cause is reported again. */
  forget(key: string): void {
    this.said.delete(key);
  }
}

/** One logger per process; the agent sets its level from config at start. */
export const logger = new Logger();
