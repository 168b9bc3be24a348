import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type CollectorOptions, type RunningCollector } from '../src/index.js';
import { specPath } from './spec-dir.js';

export interface TestCollector extends RunningCollector {
  dir: string;
  dbPath: string;
  /** Shuts the collector down but leaves its database file for a second look. */
  closeKeepingFiles(): Promise<void>;
}

/** A collector on a free loopback port over a fresh SQLite file; close() removes the file. */
export async function startTestCollector(options: CollectorOptions = {}): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-collector-'));
  const dbPath = join(dir, 'sightline.db');
  const collector = await startCollector({ port: 0, db: dbPath, ...options });
  return {
    ...collector,
    url: collector.url,
    port: collector.port,
    store: collector.store,
    flush: collector.flush,
    dir,
    dbPath,
    closeKeepingFiles: () => collector.close(),
    async close() {
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const testdata = (name: string): Buffer => readFileSync(specPath('elastic-intake-v2', 'testdata', name));

export const approved = (name: string): { accepted: number; errors?: Array<{ message: string; document?: string }> } =>
  JSON.parse(readFileSync(specPath('elastic-intake-v2', 'approved', `${name}.approved.json`), 'utf8'));

export async function postIntake(
  url: string,
  body: Buffer | string | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${url}/intake/v2/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Lines of an ndjson file as parsed objects, blank lines skipped. */
export function ndjsonObjects(content: Buffer | string): Array<Record<string, any>> {
  return content
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line.replace(/`$/, '')));
}
