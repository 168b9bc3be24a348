import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC_BEGIN, CONFIG_DOC_END, renderConfigTable } from '../src/config/docs.js';
import { CONFIG_TABLE } from '../src/config/table.js';

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

  it('holds the table generated from the config table (run `pnpm docs:config` after changing it)', () => {
    const table = doc.slice(doc.indexOf(CONFIG_DOC_BEGIN) + CONFIG_DOC_BEGIN.length, doc.indexOf(CONFIG_DOC_END)).trim();
    expect(table).toBe(renderConfigTable());
  });

  it('documents every option with its environment variable', () => {
    for (const [name, entry] of Object.entries(CONFIG_TABLE)) {
      expect(doc).toContain(`| \`${name}\` | \`${entry.env}\` |`);
    }
  });
});
