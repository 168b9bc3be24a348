import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from './helpers.js';
// @ts-expect-error plain ES module shared with scripts/screenshots.mjs
import { DISTRIBUTED_TRACE_ID, RESERVE_URL, SELECT_SQL, seedCollector, UPDATE_SQL, XSS_MESSAGE } from './fixtures/ui/seed.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
// Under CI the browser tests always run (and fail without chromium); elsewhere they need it installed.
const runBrowser = process.env.CI === 'true' || existsSync(CHROMIUM);
if (!runBrowser) console.log(`ui-browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium), and CI is not set`);

/** Parses the UI's own duration text ("12.6 ms", "1.20 s") back into milliseconds. */
function parseMs(text: string): number {
  const match = /([\d.,]+)\s*(ms|s|min)/.exec(text);
  if (match === null) throw new Error(`not a duration: ${text}`);
  const value = Number(match[1]!.replace(/,/g, ''));
  return match[2] === 's' ? value * 1000 : match[2] === 'min' ? value * 60_000 : value;
}

describe.runIf(runBrowser)('the web UI in headless Chromium', () => {
  let collector: TestCollector;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let dialogs: string[];

  beforeAll(async () => {
    collector = await startTestCollector();
    await seedCollector(collector);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  async function open(hash: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: options.colorScheme ?? 'light' });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    pageErrors = [];
    dialogs = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // A collector without anomaly detection answers its endpoint 404, which the UI expects.
      if (message.type() === 'error' && !message.location().url.includes('/api/v1/anomalies')) pageErrors.push(message.text());
    });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${collector.url}/ui/${hash}`);
    return page;
  }

  afterEach(async () => {
    const errors = pageErrors;
    await context?.close();
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  const rowOf = (table: string, name: string) => page.locator(`${table} tbody tr`, { has: page.getByRole('link', { name, exact: true }) });

  it('lists every service with its throughput, error rate, p95, trend and errors', async () => {
    await open('#/services');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Services');
    const checkout = rowOf('#services-table', 'checkout');
    const inventory = rowOf('#services-table', 'inventory');
    // 151 checkout and 41 inventory transactions in the last hour.
    await expect(checkout.locator('td').nth(2).textContent()).resolves.toBe('2.52 tpm');
    await expect(inventory.locator('td').nth(2).textContent()).resolves.toBe('0.68 tpm');
    await checkout.locator('.sparkline path').first().waitFor();
    await inventory.locator('.sparkline path').first().waitFor();
    await expect(inventory.locator('td').nth(3).textContent()).resolves.toBe('0 %');
    expect(await checkout.locator('td').nth(3).textContent()).toMatch(/^\d+(\.\d+)? %$/);
    expect(parseMs((await checkout.locator('td').nth(4).textContent())!)).toBeGreaterThan(parseMs((await inventory.locator('td').nth(4).textContent())!));
    await expect(checkout.locator('td').nth(6).textContent()).resolves.toBe('4');
    await expect(inventory.locator('td').nth(6).textContent()).resolves.toBe('1');
    await expect(checkout.locator('td').nth(1).textContent()).resolves.toBe('production');
  });

  it('sorts a table when a header is clicked, and says so to screen readers', async () => {
    await open('#/services');
    const names = () => page.locator('#services-table tbody tr td:first-child').allTextContents();
    await rowOf('#services-table', 'inventory').waitFor();
    expect(await names()).toEqual(['checkout', 'inventory']);
    const throughput = page.getByRole('button', { name: /Throughput/ }).first();
    await throughput.click();
    await expect(page.locator('#services-table th[data-key="throughput"]').getAttribute('aria-sort')).resolves.toBe('descending');
    expect(await names()).toEqual(['checkout', 'inventory']);
    await throughput.click();
    await expect(page.locator('#services-table th[data-key="throughput"]').getAttribute('aria-sort')).resolves.toBe('ascending');
    expect(await names()).toEqual(['inventory', 'checkout']);
    // By keyboard too: the headers are buttons.
    await page.locator('#services-table th[data-key="name"] button').focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('#services-table th[data-key="name"]').getAttribute('aria-sort')).resolves.toBe('ascending');
    expect(await names()).toEqual(['checkout', 'inventory']);
  });

  it('clicks from a service to a transaction group, a latency bucket, its trace and a span with its SQL', async () => {
    await open('#/services');
    await page.getByRole('link', { name: 'checkout', exact: true }).click();
    await page.waitForURL(/#\/services\/checkout/);
    const groups = page.locator('#transactions-table tbody tr td:first-child');
    await groups.first().waitFor();
    expect((await groups.allTextContents()).sort()).toEqual(['GET /cart', 'GET /products/:id', 'POST /checkout']);
    await page.locator('figure.chart').nth(2).waitFor();
    expect(await page.locator('figure.chart figcaption').allTextContents()).toEqual(['Throughput (per minute)', 'Latency', 'Error rate']);
    expect(await page.locator('figure.chart .line').count()).toBeGreaterThan(0);

    // Sort the groups by p95: POST /checkout is the slowest.
    await page.locator('#transactions-table th[data-key="p95"] button').click();
    await expect(groups.first().textContent()).resolves.toBe('POST /checkout');
    await page.getByRole('link', { name: 'POST /checkout', exact: true }).click();
    await page.waitForURL(/transactions\/POST%20%2Fcheckout/);
    // The page before it stays until this one is drawn: wait for this one's title.
    await page.getByRole('heading', { level: 1, name: 'POST /checkout', exact: true }).waitFor();

    // The bucket holding the 182.4 ms transaction of the distributed trace.
    const bars = page.locator('.histogram .bar');
    await bars.first().waitFor();
    const labels = await bars.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    const index = labels.findIndex((label) => {
      const [from, to] = label.split(':')[0]!.split('–').map((part) => parseMs(part));
      return from! <= 182.4 && 182.4 < to!;
    });
    expect(index).toBeGreaterThanOrEqual(0);
    await bars.nth(index).click();
    await expect(bars.nth(index).getAttribute('aria-pressed')).resolves.toBe('true');
    const sample = page.locator('#samples a', { hasText: '182 ms' });
    await sample.click();
    await page.waitForURL(new RegExp(`#/traces/${DISTRIBUTED_TRACE_ID}`));

    // The waterfall: both services' transactions, SQL and URLs in view, the failure marked.
    const rows = page.locator('.wf-button');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(7);
    const text = await page.locator('.waterfall').innerText();
    expect(text).toContain(SELECT_SQL.slice(0, 30));
    expect(text).toContain(`POST ${RESERVE_URL}`);
    await expect(page.locator('.wf-row.transaction .badge.svc').allTextContents()).resolves.toEqual(['checkout', 'inventory']);
    await expect(page.locator('.wf-row', { hasText: 'POST payments.example' }).locator('.err-mark').textContent()).resolves.toBe('⚠ 1 error');
    // The inventory transaction is nested under checkout's HTTP span.
    const depth = (name: string) => page.locator('.wf-row', { hasText: name }).first().locator('.wf-label').evaluate((el) => parseFloat(getComputedStyle(el).paddingLeft));
    expect(await depth('POST /reserve')).toBeGreaterThan(await depth('POST inventory.internal'));
    expect(await depth('UPDATE stock')).toBeGreaterThan(await depth('POST /reserve'));
    // Bars to scale: 12.6 ms of 182.4 ms.
    const width = (name: string) => page.locator('.wf-row', { hasText: name }).first().locator('.wf-bar').evaluate((el) => el.getBoundingClientRect().width);
    expect((await width('SELECT products')) / (await width('POST /checkout'))).toBeCloseTo(12.6 / 182.4, 1);

    await rows.filter({ hasText: 'SELECT products' }).click();
    const detail = page.locator('#span-detail');
    await expect(detail.locator('h2').textContent()).resolves.toBe('SELECT products');
    await expect(detail.locator('pre.sql').textContent()).resolves.toBe(SELECT_SQL);
    expect(await detail.innerText()).toContain('db.postgresql.query');

    // By keyboard: the rows are buttons.
    await rows.filter({ hasText: 'UPDATE stock' }).focus();
    await page.keyboard.press('Enter');
    await expect(detail.locator('pre.sql').textContent()).resolves.toBe(UPDATE_SQL);
    expect(await detail.innerText()).toContain('inventory');
  });

  it('clicks from the error list to an error with its frames, source, causes and request', async () => {
    await open('#/errors');
    await page.locator('#errors-table tbody tr').first().waitFor();
    expect(await page.locator('#errors-table tbody tr').count()).toBe(3);
    const payment = page.locator('#errors-table tbody tr', { hasText: 'PaymentError' });
    await expect(payment.locator('td').nth(3).innerText()).resolves.toContain('1');
    await expect(page.locator('#errors-table tbody tr', { hasText: 'TypeError' }).locator('td').nth(3).innerText()).resolves.toContain('3');
    await payment.locator('.error-cell a').click();
    await page.waitForURL(/#\/errors\/[0-9a-f]+/);
    // The page before it stays until this one is drawn: wait for this one's title.
    await page.getByRole('heading', { level: 1, name: 'PaymentError: card declined', exact: true }).waitFor();

    // The app frame that threw is open, with its source and the failing line marked.
    const first = page.locator('.exception').first().locator('.frame.app').first();
    await expect(first.locator('summary').innerText()).resolves.toContain('chargeCard at src/payments/charge.js:27:13');
    const current = first.locator('.src-line.current');
    await expect(current.innerText()).resolves.toContain("throw new PaymentError('card declined'");
    await expect(current.locator('.ln').textContent()).resolves.toBe('27');
    expect(await current.isVisible()).toBe(true);
    expect(await first.locator('.src-line').count()).toBe(7);

    // Library frames are folded away until asked for.
    const library = page.locator('.exception').first().locator('details.library-frames');
    await expect(library.locator('summary').textContent()).resolves.toBe('3 library frames');
    expect(await library.getAttribute('open')).toBeNull();
    const layer = library.locator('.frame.lib', { hasText: 'Layer.handle' });
    expect(await layer.isVisible()).toBe(false);
    await library.locator('summary').click();
    expect(await layer.isVisible()).toBe(true);

    // The cause chain.
    const cause = page.locator('.exception.cause');
    await expect(cause.locator('.caused-by').textContent()).resolves.toBe('Caused by');
    await expect(cause.locator('.ex-head').innerText()).resolves.toBe('HttpError: upstream 502');
    await expect(cause.locator('.src-line.current').innerText()).resolves.toContain('throw new HttpError');

    // Where it happened: request, transaction and trace.
    const body = await page.locator('main').innerText();
    expect(body).toContain('http://shop.example/checkout');
    await expect(page.getByRole('link', { name: 'POST /checkout', exact: true }).getAttribute('href')).resolves.toMatch(/#\/services\/checkout\/transactions\/POST%20%2Fcheckout/);
    await page.locator('#error-trace-link').click();
    await page.waitForURL(new RegExp(`#/traces/${DISTRIBUTED_TRACE_ID}`));
    await page.locator('.wf-button').first().waitFor();
  });

  it('draws the occurrences of each error group over the range as a sparkline from the list call', async () => {
    await open('#/errors');
    await page.locator('#errors-table tbody tr').first().waitFor();
    const typeError = page.locator('#errors-table tbody tr', { hasText: 'TypeError' });
    const trend = typeError.locator('svg.sparkline');
    await expect(trend.getAttribute('aria-label')).resolves.toBe('occurrences over time of TypeError: 3 in the range');
    // Errors come in bursts in the hour: the line reaches its top (the busiest interval) and
    // its floor (intervals without any), so it is drawn from the counts, not a flat line.
    const d = (await trend.locator('path.line').getAttribute('d'))!;
    expect(d.split(/[ML]/).filter(Boolean).length).toBeGreaterThan(30);
    expect(d).toMatch(/,1\.0(?!\d)/);
    expect(d).toMatch(/,23\.0(?!\d)/);
    expect(await page.locator('#errors-table tbody tr svg.sparkline path.line').count()).toBe(3);
    // One call gives the list and the trends.
    const calls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/api/v1/errors')));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('countsOverTime=true');
  });

  it('lists the anomalies of a service and marks them on its charts', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const group = { service: 'checkout', environment: 'production', transactionType: 'request', transactionName: 'POST /checkout', bucketMs: 60_000, probability: 1e-9 };
    await collector.store.anomalies.insertAnomalies([
      { ...group, bucketStartMs: minute - 20 * 60_000, metric: 'latency_mean', score: 91.4, typical: 40, actual: 180, explanation: [{ spanType: 'db', typicalMs: 12, actualMs: 150, share: 0.9 }] },
      { ...group, bucketStartMs: minute - 40 * 60_000, metric: 'throughput', score: 62, typical: 3, actual: 0.5, explanation: null },
    ]);
    await open('#/services/checkout');
    const rows = page.locator('#anomalies-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    await expect(page.getByRole('heading', { name: 'Anomalies (2)' }).count()).resolves.toBe(1);
    // Newest first: score, transaction, metric, typical → actual, explanation.
    const latency = await rows.nth(0).locator('td').allInnerTexts();
    expect([latency[0], ...latency.slice(2)]).toEqual(['91', 'POST /checkout', 'latency_mean', '40 ms → 180 ms', 'db 12 ms → 150 ms (90%)']);
    expect(await rows.nth(0).locator('td').first().getAttribute('class')).toContain('bad-text');
    const throughput = await rows.nth(1).locator('td').allInnerTexts();
    expect([throughput[0], ...throughput.slice(2)]).toEqual(['62', 'POST /checkout', 'throughput', '3 tpm → 0.5 tpm', '']);

    // Each on its own chart, with what it was in the marker's tooltip.
    const chart = (title: string) => page.locator('figure.chart', { has: page.locator('figcaption', { hasText: title }) });
    await chart('Latency').locator('svg').waitFor();
    expect(await chart('Latency').locator('.marker').count()).toBe(1);
    await expect(chart('Latency').locator('.marker title').textContent()).resolves.toMatch(/^latency_mean at .+: score 91 — actual 180, typical 40$/);
    expect(await chart('Throughput').locator('.marker').count()).toBe(1);
    expect(await chart('Error rate').locator('.marker').count()).toBe(0);
    await expect(chart('Latency').locator('.legend').innerText()).resolves.toContain('1 anomaly');
    // The marker sits at its minute on the time axis: 20 of the 60 minutes before the end.
    const box = (await chart('Latency').locator('.overlay').boundingBox())!;
    const line = (await chart('Latency').locator('.marker line').boundingBox())!;
    expect((line.x - box.x) / box.width).toBeGreaterThan(0.6);
    expect((line.x - box.x) / box.width).toBeLessThan(0.7);

    // The transaction link leads to the group, whose charts carry the same marks.
    await rows.nth(0).getByRole('link', { name: 'POST /checkout' }).click();
    await page.waitForURL(/#\/services\/checkout\/transactions\/POST%20%2Fcheckout/);
    // The service page's charts stay until the group's page replaces them: wait for its title first.
    await page.getByRole('heading', { level: 1, name: 'POST /checkout', exact: true }).waitFor();
    await chart('Latency').locator('.marker').waitFor();
    expect(await chart('Throughput').locator('.marker').count()).toBe(1);
  });

  it('opens with one script and one style sheet: the UI bundled at build time', async () => {
    await open(`#/traces/${DISTRIBUTED_TRACE_ID}`);
    await page.locator('.waterfall').waitFor();
    const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js') || p.endsWith('.css')));
    expect(loaded.map((p) => p.replace(/^\/ui\/v\/[\w-]+\//, ''))).toEqual(expect.arrayContaining(['app.js', 'style.css']));
    expect(loaded).toHaveLength(2);
  });

  it('loads no script or style sheet again on a repeat visit: they come from the browser cache', async () => {
    await open('#/services');
    await page.locator('#services-table tbody tr').first().waitFor();
    const again = await context.newPage();
    await again.goto(`${collector.url}/ui/#/errors`);
    await again.locator('#errors-table tbody tr').first().waitFor();
    const files = await again.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => ({ path: new URL(e.name).pathname, bytes: (e as PerformanceResourceTiming).transferSize }))
      .filter((e) => e.path.endsWith('.js') || e.path.endsWith('.css')));
    expect(files.length).toBeGreaterThanOrEqual(2);
    // Nothing crossed the network for them: not even a revalidation.
    expect(files.filter((f) => f.bytes !== 0)).toEqual([]);
  });

  it('shows an error message made of HTML as text and runs nothing from it', async () => {
    await open('#/errors');
    const row = page.locator('#errors-table tbody tr', { hasText: 'reserveStock' });
    await expect(row.locator('.ex-message').textContent()).resolves.toBe(XSS_MESSAGE);
    await row.locator('.error-cell a').click();
    await page.waitForURL(/#\/errors\/[0-9a-f]+/);
    await expect(page.locator('#error-message').textContent()).resolves.toBe(XSS_MESSAGE);
    await expect(page.locator('.exception .ex-message').first().textContent()).resolves.toBe(XSS_MESSAGE);
    await page.locator('details', { hasText: 'headers' }).locator('summary').click();
    expect(await page.locator('main').innerText()).toContain(`x-note\n${XSS_MESSAGE}`);
    await expect(page.title()).resolves.toBe(`Error: ${XSS_MESSAGE} · Sightline`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('main [onerror]').count()).toBe(0);
    // dialogs are checked after every test; none may have opened
  });

  it('draws runtime metrics per service', async () => {
    await open('#/metrics');
    await page.waitForURL(/#\/metrics\/checkout/);
    await page.locator('figure.chart').first().waitFor();
    expect(await page.locator('figure.chart figcaption').allTextContents()).toEqual([
      'nodejs.eventloop.delay.avg.ms', 'nodejs.memory.heap.used.bytes', 'system.cpu.total.norm.pct',
    ]);
    expect(await page.locator('figure.chart path.line').count()).toBe(3);
    await page.locator('#metrics-service').selectOption('inventory');
    await page.waitForURL(/#\/metrics\/inventory/);
    await page.locator('.page-head .sub', { hasText: 'inventory' }).waitFor();
    await expect(page.locator('figure.chart figcaption').allTextContents()).resolves.toEqual(['nodejs.memory.heap.used.bytes', 'system.cpu.total.norm.pct']);
  });

  it('keeps the time range and auto-refresh in the URL', async () => {
    await open('#/services/checkout');
    await page.locator('#transactions-table tbody tr').first().waitFor();
    await page.locator('#range').selectOption('15m');
    await page.waitForURL(/range=15m/);
    await page.locator('#transactions-table').waitFor();
    await page.locator('#refresh-toggle').click();
    await page.waitForURL(/refresh=30/);
    // The URL changes on the click; the controls are drawn again on the hashchange that follows.
    await page.locator('#refresh-toggle[aria-pressed="true"]').waitFor({ timeout: 5000 });
    await expect(page.locator('#refresh-toggle').textContent()).resolves.toBe('Auto-refresh: 30 s');
    // Links carry the range on.
    await expect(page.getByRole('link', { name: 'Services', exact: true }).first().getAttribute('href')).resolves.toBe('#/services?range=15m&refresh=30');
    await page.reload();
    await expect(page.locator('#range').inputValue()).resolves.toBe('15m');
    await expect(page.locator('#refresh-toggle').getAttribute('aria-pressed')).resolves.toBe('true');
  });

  it('follows the dark colour scheme', async () => {
    await open('#/services', { colorScheme: 'dark' });
    await page.locator('#services-table').waitFor();
    const [background, text] = await page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]);
    const luminance = (rgb: string) => rgb.match(/\d+/g)!.slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
    expect(luminance(background)).toBeLessThan(60);
    expect(luminance(text)).toBeGreaterThan(180);
  });
});

describe.runIf(runBrowser)('the web UI with a secret token', () => {
  let collector: TestCollector;
  let browser: Browser;
  beforeAll(async () => {
    collector = await startTestCollector({ secretToken: 'ui-secret' });
    await seedCollector(collector, Date.now(), { authorization: 'Bearer ui-secret' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  it('asks for the token once, sends it on every API call, and keeps it for the tab', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const apiCalls: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/')) apiCalls.push(request.headers().authorization);
    });
    try {
      await page.goto(`${collector.url}/ui/`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
      await expect(page.locator('.token-form .notice').textContent()).resolves.toBe('This collector needs a token.');
      await page.getByLabel('Token').fill('wrong');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.locator('.token-form .notice').textContent()).resolves.toBe('The token was not accepted.');
      await page.getByLabel('Token').fill('ui-secret');
      await page.keyboard.press('Enter');
      await page.locator('#services-table tbody tr', { hasText: 'checkout' }).waitFor();
      expect(apiCalls.at(-1)).toBe('Bearer ui-secret');

      apiCalls.length = 0;
      await page.reload();
      await page.locator('#services-table tbody tr', { hasText: 'inventory' }).waitFor();
      expect(apiCalls.length).toBeGreaterThan(0);
      expect(apiCalls.every((value) => value === 'Bearer ui-secret')).toBe(true);
      await expect(page.evaluate(() => sessionStorage.getItem('sightline.token'))).resolves.toBe('ui-secret');
    } finally {
      await context.close();
    }
  });
});
