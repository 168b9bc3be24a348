import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { postIntake, testdata } from './helpers.js';

const BIN = fileURLToPath(new URL('../bin/sightline.js', import.meta.url));

describe('sightline collector', () => {
  it('serves intake, and on SIGTERM writes what it accepted and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-cli-'));
    const db = join(dir, 'cli.db');
    try {
      const child = spawn(process.execPath, [BIN, 'collector', '--port', '0', '--db', db, '--retention', '30d'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`collector did not start: ${stdout}`)), 15_000);
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
          const match = /listening on (http:\/\/\S+) \(SQLite/.exec(stdout);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      // Events from 2017 would fall outside a 30-day retention, so send ones timestamped now.
      const body = testdata('minimal.ndjson');
      expect(await postIntake(url, body)).toMatchObject({ status: 202, body: { accepted: 7 } });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('shutting down');
      const store = await openStore(db);
      const groups = await store.errorGroups({ fromMs: Date.now() - 60_000, toMs: Date.now() + 60_000 }, { limit: 10, offset: 0 });
      expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(3);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
