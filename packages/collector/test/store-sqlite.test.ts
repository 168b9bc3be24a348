import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { withSqlite } from './raw-sqlite.js';
import { defineStoreSuite } from './store-suite.js';

defineStoreSuite(
  'SQLite',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-store-'));
    return {
      open: () => openStore(join(dir, 'store.db')),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
);

/** A database file made before new files got 16 KB pages: SQLite keeps a file's page size. */
function fileWith4KbPages(path: string): void {
  withSqlite(path, (db) => {
    db.pragma('page_size = 4096');
    db.pragma('user_version = 0');
  });
}

defineStoreSuite(
  'SQLite, a file with 4 KB pages',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-store-'));
    const path = join(dir, 'store.db');
    fileWith4KbPages(path);
    return {
      open: () => openStore(path),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
);

describe('SQLite page size', () => {
  it('is 16 KB for a new file and stays as it was for an existing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-store-'));
    try {
      const fresh = join(dir, 'new.db');
      await (await openStore(fresh)).close();
      expect(withSqlite(fresh, (db) => db.pragma('page_size', { simple: true }))).toBe(16384);
      const old = join(dir, 'old.db');
      fileWith4KbPages(old);
      await (await openStore(old)).close();
      expect(withSqlite(old, (db) => db.pragma('page_size', { simple: true }))).toBe(4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
