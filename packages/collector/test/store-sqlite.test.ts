import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/index.js';
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
