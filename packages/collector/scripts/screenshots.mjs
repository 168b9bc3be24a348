#!/usr/bin/env node
// Screenshots of every UI page, on a collector seeded with the UI test fixture, into
// docs/screenshots/. Run on demand after `npx tsc -b packages/collector`:
//   node packages/collector/scripts/screenshots.mjs
// Uses Debian's chromium (/usr/bin/chromium or CHROMIUM_PATH); it never downloads a browser.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCollector } from '../dist/index.js';
import { DISTRIBUTED_TRACE_ID, seedCollector } from '../test/fixtures/ui/seed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '../../../docs/screenshots');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

const dir = mkdtempSync(join(tmpdir(), 'sightline-screenshots-'));
const collector = await startCollector({ port: 0, db: join(dir, 'sightline.db') });
const browser = await chromium.launch({ executablePath, args: ARGS });
try {
  await seedCollector(collector);
  mkdirSync(outDir, { recursive: true });
  // Two anomalies on checkout, so the service page shows its table and the charts their marks.
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const group = { service: 'checkout', environment: 'production', transactionType: 'request', transactionName: 'POST /checkout', bucketMs: 60_000, probability: 1e-9 };
  await collector.store.anomalies.insertAnomalies([
    { ...group, bucketStartMs: minute - 20 * 60_000, metric: 'latency_mean', score: 91.4, typical: 40, actual: 180, explanation: [{ spanType: 'db', typicalMs: 12, actualMs: 150, share: 0.9 }] },
    { ...group, bucketStartMs: minute - 40 * 60_000, metric: 'throughput', score: 62, typical: 3, actual: 0.5, explanation: null },
  ]);
  const errorGroup = await fetch(`${collector.url}/api/v1/errors?service=checkout`).then((r) => r.json())
    .then((body) => body.items.find((g) => g.type === 'PaymentError').groupId);

  /** [file, hash, what to wait for, colour scheme, optional action] */
  const shots = [
    ['services', '#/services', '.sparkline path', 'light'],
    ['service', '#/services/checkout', '#anomalies-table tbody tr', 'light'],
    ['transaction', `#/services/checkout/transactions/${encodeURIComponent('POST /checkout')}`, '.histogram .bar', 'light',
      async (page) => { await page.locator('.histogram .bar').nth(2).click(); await page.locator('#samples ul').waitFor(); }],
    ['trace', `#/traces/${DISTRIBUTED_TRACE_ID}`, '.wf-button', 'light',
      async (page) => { await page.locator('.wf-button', { hasText: 'SELECT products' }).click(); }],
    ['errors', '#/errors', '#errors-table tbody tr .sparkline path', 'light'],
    ['error', `#/errors/${errorGroup}`, '.src-line.current', 'light'],
    ['metrics', '#/metrics/checkout', '.chart', 'light'],
    ['trace-dark', `#/traces/${DISTRIBUTED_TRACE_ID}`, '.wf-button', 'dark'],
    ['service-dark', '#/services/checkout', '#transactions-table tbody tr', 'dark'],
  ];
  for (const [file, hash, ready, colorScheme, action] of shots) {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`${file}: page error: ${error.message}`));
    await page.goto(`${collector.url}/ui/${hash}`);
    await page.locator(ready).first().waitFor();
    await page.waitForLoadState('networkidle');
    if (action) await action(page);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(outDir, `${file}.png`), fullPage: file !== 'metrics' });
    console.log(`docs/screenshots/${file}.png`);
    await context.close();
  }
} finally {
  await browser.close();
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
}
