#!/usr/bin/env node
// Prints a Markdown before/after comparison of two `collector-ingest.js --json` reports, or
// of one made with --base-bin (the base build's figures, measured in turn with the other's):
//   node bench/collector-compare.js before.json after.json
//   node bench/collector-compare.js report.json
import { readFileSync } from 'node:fs';

const [beforePath, afterPath] = process.argv.slice(2);
if (!beforePath) {
  console.error('usage: node bench/collector-compare.js before.json after.json | report-with-base.json');
  process.exit(2);
}
const after = JSON.parse(readFileSync(afterPath ?? beforePath, 'utf8'));
/** The "base …" fields of a --base-bin report, as a report of their own. */
function baseOf(report) {
  const strip = (row) => Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('base ')).map(([k, v]) => [k.slice(5), v]));
  const runs = {};
  for (const [db, run] of Object.entries(report.runs)) {
    runs[db] = {
      queries: run.queries.map((q) => ({ query: q.query, ...strip(q) })),
      ui: run.ui?.map((p) => ({ page: p.page, ...strip(p) })),
    };
  }
  return { ...report, runs };
}
const before = afterPath === undefined ? baseOf(after) : JSON.parse(readFileSync(beforePath, 'utf8'));
const cell = (value) => (value === undefined || value === 'n/a' ? 'n/a' : String(value));

for (const db of Object.keys(after.runs)) {
  const b = before.runs[db] ?? {};
  const a = after.runs[db];
  console.log(`\n#### ${db}, ${after.events.toLocaleString('en')} events\n`);
  if (afterPath !== undefined) {
    const change = b.eventsPerSecond ? ` (${(((a.eventsPerSecond - b.eventsPerSecond) / b.eventsPerSecond) * 100).toFixed(1)} %)` : '';
    console.log(`Ingest: ${cell(b.eventsPerSecond?.toLocaleString('en'))} → ${a.eventsPerSecond.toLocaleString('en')} events/s${change}; ` +
      `average batch write ${cell(b.batchWriteMs)} → ${a.batchWriteMs} ms.\n`);
  }
  console.log('| query | before p50 / p95 ms | after p50 / p95 ms |');
  console.log('| --- | ---: | ---: |');
  for (const q of a.queries) {
    const old = b.queries?.find((x) => x.query === q.query);
    console.log(`| ${q.query} | ${cell(old?.['p50 ms'])} / ${cell(old?.['p95 ms'])} | ${q['p50 ms']} / ${q['p95 ms']} |`);
  }
  if (a.ui) {
    console.log('\n| UI page (fresh context, median of 5) | before: shown / drawn ms | after: shown / drawn ms | before → after: API calls, KB | wall ms (browser start-up included) |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const p of a.ui) {
      const old = b.ui?.find((x) => x.page === p.page) ?? {};
      console.log(`| ${p.page} | ${cell(old['main shown ms'])} / ${cell(old['fully drawn ms'])} | ${p['main shown ms']} / ${p['fully drawn ms']} | ` +
        `${cell(old['API calls'])}, ${cell(old['API KB'])} → ${p['API calls']}, ${p['API KB']} | ${cell(old['wall ms'])} → ${p['wall ms']} |`);
    }
  }
}
