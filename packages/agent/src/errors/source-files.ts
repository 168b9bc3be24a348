/**
 * Source files read for error context: asynchronously (never on the thread that threw), a
 * few at a time, each file once while it stays in a bounded cache. A file that cannot be read
 * is remembered as such, so an error storm does not hammer the disk for a missing file.
 */
import { open } from 'node:fs/promises';
import { Lru } from './lru.js';

export interface SourceFilesOptions {
  maxFiles: number;
  maxBytes: number;
  /** Larger files are not read at all (a 50 MB bundle is not worth its context lines). */
  maxFileBytes: number;
  concurrency: number;
}

export const DEFAULT_SOURCE_FILES: SourceFilesOptions = {
  maxFiles: 200,
  maxBytes: 16 * 1024 * 1024,
  maxFileBytes: 8 * 1024 * 1024,
  concurrency: 4,
};

const NEWLINE = /\r?\n/;
/** Weight of a remembered failure: small, but not free, so failures are evicted too. */
const MISSING_WEIGHT = 64;

export class SourceFiles {
  private readonly cache: Lru<string[] | null>;
  private readonly reading = new Map<string, Promise<string[] | null>>();
  private readonly waiting: Array<() => void> = [];
  private active = 0;

  constructor(private readonly opts: SourceFilesOptions = DEFAULT_SOURCE_FILES) {
    this.cache = new Lru(opts.maxFiles, opts.maxBytes);
  }

  /** The file's lines, or null when it cannot be read (missing, too large, a directory). */
  lines(path: string): Promise<string[] | null> {
    const cached = this.cache.get(path);
    if (cached !== undefined) return Promise.resolve(cached);
    let p = this.reading.get(path);
    if (p === undefined) {
      p = this.readLines(path);
      this.reading.set(path, p);
    }
    return p;
  }

  /** The file's text, uncached (source map files: they are parsed once and cached as maps). */
  async text(path: string): Promise<string | null> {
    await this.acquire();
    try {
      return await readCapped(path, this.opts.maxFileBytes);
    } finally {
      this.release();
    }
  }

  private async readLines(path: string): Promise<string[] | null> {
    let lines: string[] | null = null;
    let weight = MISSING_WEIGHT;
    try {
      const text = await this.text(path);
      if (text !== null) {
        lines = text.split(NEWLINE);
        weight = Math.max(text.length, MISSING_WEIGHT);
      }
    } finally {
      this.reading.delete(path);
      this.cache.set(path, lines, weight);
    }
    return lines;
  }

  private acquire(): Promise<void> {
    if (this.active < this.opts.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
}

async function readCapped(path: string, maxBytes: number): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile() || st.size > maxBytes) return null;
    return await fh.readFile('utf8');
  } catch {
    return null;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
