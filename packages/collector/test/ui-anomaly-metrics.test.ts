/**
 * Metric series anomalies end to end, in headless Chromium: the UI seed's metricsets go in
 * through intake (checkout's event-loop delay jumps for minutes 31-35), a detector watching
 * that metric judges the stored minutes, and the metrics page marks the anomalies on that
 * metric's chart alone; the service page lists them, linked to the metrics page, without
 * marking its transaction charts.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyDetector } from '../src/anomaly/detector.js';
import type { AnomalyRecord } from '../src/store/anomaly-store.js';
import { startTestCollector, type TestCollector } from './helpers.js';
// @ts-expect-error plain ES module shared with scripts/screenshots.mjs
import { seedCollector } from './fixtures/ui/seed.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const runBrowser = process.env.CI === 'true' || existsSync(CHROMIUM);
if (!runBrowser) console.log(`ui-anomaly-metrics tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium), and CI is not set`);

const WATCHED = 'nodejs.eventloop.delay.avg.ms';

describe.runIf(runBrowser)('metric series anomalies in the web UI', () => {
  let collector: TestCollector;
  let browser: Browser;
  let found: AnomalyRecord[];
  const nowMs = Date.now();
  const seedStart = nowMs - 50 * 60_000;

  beforeAll(async () => {
    // The collector's own detector is off: this test's detector judges the seeded past.
    collector = await startTestCollector({ anomalies: false });
    await seedCollector(collector, nowMs);
    const clock = { now: seedStart };
    const detector = new AnomalyDetector(collector.store.anomalies, {
      bucketMs: 60_000, graceMs: 0, warmupBuckets: 10, threshold: 50, now: () => clock.now, metrics: [WATCHED],
      onError: (error) => { throw error; },
    });
    await detector.runDue();
    clock.now = nowMs;
    await detector.runDue();
    found = await collector.store.anomalies.anomalies({ fromMs: 0, toMs: nowMs, minScore: 0, limit: 100 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${collector.url}/ui/${hash}`);
    return { page, errors };
  }

  it('the detector flags the seeded jump in the watched metric from its first minute, and nothing else', () => {
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((a) => a.service === 'checkout' && a.metric === WATCHED && a.labels !== undefined)).toBe(true);
    const first = Math.min(...found.map((a) => a.bucketStartMs));
    expect(first).toBe(Math.floor((seedStart + 31 * 60_000) / 60_000) * 60_000);
    expect(Math.max(...found.map((a) => a.bucketStartMs))).toBeLessThan(seedStart + 37 * 60_000);
  });

  it("marks them on that metric's chart on the metrics page, and on no other chart", async () => {
    const { page, errors } = await open('#/metrics/checkout');
    const chart = (title: string) => page.locator('figure.chart', { has: page.locator('figcaption', { hasText: title }) });
    await chart(WATCHED).locator('.marker').first().waitFor();
    expect(await chart(WATCHED).locator('.marker').count()).toBe(found.length);
    const titles = await chart(WATCHED).locator('.marker title').allTextContents();
    expect(titles.every((t) => t.startsWith(`${WATCHED} at `) && / — actual [\d.]+, typical [\d.]+$/.test(t))).toBe(true);
    await expect(chart(WATCHED).locator('.legend').innerText()).resolves.toContain(`${found.length} anomal`);
    expect(await chart('system.cpu.total.norm.pct').locator('.marker').count()).toBe(0);
    expect(await chart('nodejs.memory.heap.used.bytes').locator('.marker').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('lists them on the service page, linked to the metrics page, without marking the transaction charts', async () => {
    const { page, errors } = await open('#/services/checkout');
    const rows = page.locator('#anomalies-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(found.length);
    const cells = await rows.first().locator('td').allInnerTexts();
    expect(cells[3]).toBe(WATCHED);
    expect(cells[4]).toMatch(/^[\d.]+ → [\d.]+$/);
    await page.locator('figure.chart svg').first().waitFor();
    expect(await page.locator('figure.chart .marker').count()).toBe(0);
    await rows.first().getByRole('link', { name: 'metrics' }).click();
    await page.waitForURL(/#\/metrics\/checkout/);
    await page.locator('figure.chart .marker').first().waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
