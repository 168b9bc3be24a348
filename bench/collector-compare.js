#!/usr/bin/env node
// Prints a Markdown before/after comparison of two `collector-ingest.js --json` reports:
//   node bench/collector-compare.js before.json after.json
import { readFileSync } from 'node:fs';

const [beforePath, afterPath] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  console.error('usage: node bench/collector-compare.js before.json after.json');
  process.exit(2);
}
const before = JSON.parse(readFileSync(beforePath, 'utf8'));
const after = JSON.parse(readFileSync(afterPath, 'utf8'));
const cell = (value) => (value === undefined || value === 'n/a' ? 'n/a' : String(value));

for (const db of Object.keys(after.runs)) {
  const b = before.runs[db] ?? {};
  const a = after.runs[db];
  console.log(`\n#### ${db}, ${after.events.toLocaleString('en')} events\n`);
  const change = b.eventsPerSecond ? ` (${(((a.eventsPerSecond - b.eventsPerSecond) / b.eventsPerSecond) * 100).toFixed(1)} %)` : '';
  console.log(`Ingest: ${cell(b.eventsPerSecond?.toLocaleString('en'))} → ${a.eventsPerSecond.toLocaleString('en')} events/s${change}; ` +
    `average batch write ${cell(b.batchWriteMs)} → ${a.batchWriteMs} ms.\n`);
  console.log('| query | before p50 / p95 ms | after p50 / p95 ms |');
  console.log('| --- | ---: | ---: |');
  for (const q of a.queries) {
    const old = b.queries?.find((x) => x.query === q.query);
    console.log(`| ${q.query} | ${cell(old?.['p50 ms'])} / ${cell(old?.['p95 ms'])} | ${q['p50 ms']} / ${q['p95 ms']} |`);
  }
  if (a.ui) {
    console.log('\n| UI page (fresh context, median of 3) | before: shown / drawn ms | after: shown / drawn ms | before → after: API calls, KB | wall ms (browser start-up included) |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const p of a.ui) {
      const old = b.ui?.find((x) => x.page === p.page) ?? {};
      console.log(`| ${p.page} | ${cell(old['main shown ms'])} / ${cell(old['fully drawn ms'])} | ${p['main shown ms']} / ${p['fully drawn ms']} | ` +
        `${cell(old['API calls'])}, ${cell(old['API KB'])} → ${p['API calls']}, ${p['API KB']} | ${cell(old['wall ms'])} → ${p['wall ms']} |`);
    }
  }
}
