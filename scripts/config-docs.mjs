// Regenerates the configuration table in docs/configuration.md and README.md from the
// agent's config table (build the agent first). `--check` fails when a file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_DOC_BEGIN, CONFIG_DOC_END, renderConfigTable } from '../packages/agent/dist/config/docs.js';

const files = ['docs/configuration.md', 'README.md'];
const check = process.argv.includes('--check');
let stale = 0;
for (const file of files) {
  const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
  const start = text.indexOf(CONFIG_DOC_BEGIN);
  const end = text.indexOf(CONFIG_DOC_END);
  if (start === -1 || end === -1) continue;
  const next = `${text.slice(0, start + CONFIG_DOC_BEGIN.length)}\n${renderConfigTable()}\n${text.slice(end)}`;
  if (next === text) continue;
  stale++;
  if (check) console.error(`${file}: the configuration table is out of date; run pnpm docs:config`);
  else writeFileSync(new URL(`../${file}`, import.meta.url), next);
}
process.exit(check && stale > 0 ? 1 : 0);
