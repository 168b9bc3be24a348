import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiFilePath, UI_ROOT } from '../src/server/ui-route.js';
import { BUNDLE_STAMP, bundledIndex, uiState, uiVersion, versionedIndex } from '../src/server/ui-version.js';
import { startTestCollector, type TestCollector } from './helpers.js';

/** A raw GET, so paths such as /ui/../x reach the server exactly as written. */
function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the web UI is served at /ui/', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector({ secretToken: 'ui-route-secret' });
  });
  afterAll(async () => collector.close());

  it('serves index.html, scripts and styles with their content types, even when a token is required', async () => {
    const index = await rawGet(collector.url, '/ui/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toMatch(/<script type="module" src="v\/[\w-]+\/app\.js">/);
    expect((await rawGet(collector.url, '/ui/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawGet(collector.url, '/ui/lib/h.js')).status).toBe(200);
    expect((await rawGet(collector.url, '/ui/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await rawGet(collector.url, '/ui/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('keeps the data behind the token', async () => {
    expect((await rawGet(collector.url, '/api/v1/services')).status).toBe(401);
    expect((await rawGet(collector.url, '/api/v1/services', { authorization: 'Bearer ui-route-secret' })).status).toBe(200);
  });

  it('sends a content security policy that allows no inline script and no other origin', async () => {
    const { headers } = await rawGet(collector.url, '/ui/');
    expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 304 to a matching ETag and asks browsers to revalidate', async () => {
    const first = await rawGet(collector.url, '/ui/app.js');
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
    const second = await rawGet(collector.url, '/ui/app.js', { 'if-none-match': String(first.headers.etag) });
    expect(second.status).toBe(304);
    expect(second.body).toBe('');
  });

  it('names every file of the UI by a versioned path that browsers may cache for good, so a repeat visit loads no module', async () => {
    const index = await rawGet(collector.url, '/ui/');
    expect(index.headers['cache-control']).toBe('no-cache');
    const version = /src="v\/([\w-]+)\/app\.js"/.exec(index.body)![1]!;
    expect(index.body).toContain(`<link rel="stylesheet" href="v/${version}/style.css">`);
    expect(index.body).toContain('<a href="#/errors" data-section="errors">');
    const versioned = await rawGet(collector.url, `/ui/v/${version}/lib/h.js`);
    expect(versioned.status).toBe(200);
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(versioned.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(versioned.body).toBe((await rawGet(collector.url, '/ui/lib/h.js')).body);
    // A page left open across an upgrade asks for the old version: today's file, revalidated.
    const stale = await rawGet(collector.url, '/ui/v/old-version/lib/h.js');
    expect(stale.status).toBe(200);
    expect(stale.headers['cache-control']).toBe('no-cache');
    expect((await rawGet(collector.url, `/ui/v/${version}/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await rawGet(collector.url, `/ui/v/${version}/nope.js`)).status).toBe(404);
  });

  it('serves the UI bundled into one script after the build (pnpm build makes ui-dist), the modules still reachable', async () => {
    const state = await uiState();
    expect(state.bundled, 'ui-dist holds no bundle of the current ui/: run `pnpm build` (scripts/bundle-ui.mjs) first').toBe(true);
    const index = await rawGet(collector.url, '/ui/');
    expect(index.body).not.toContain('modulepreload');
    const version = /src="v\/([\w-]+)\/app\.js"/.exec(index.body)![1]!;
    const bundle = await rawGet(collector.url, `/ui/v/${version}/app.js`);
    expect(bundle.status).toBe(200);
    // One file: the router and every page, no import of another module.
    expect(bundle.body).toContain('services-table');
    expect(bundle.body).toContain('waterfall');
    expect(bundle.body).not.toMatch(/from\s*["']\.\.?\//);
    expect((await rawGet(collector.url, '/ui/lib/h.js')).status).toBe(200);
  });

  it('preloads every module of ui/ when it serves the modules themselves', () => {
    const html = readFileSync(`${UI_ROOT}/index.html`, 'utf8');
    const preloaded = [...html.matchAll(/rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]).sort();
    const modules = ['lib', 'pages'].flatMap((dir) => readdirSync(`${UI_ROOT}/${dir}`).filter((f) => f.endsWith('.js')).map((f) => `${dir}/${f}`)).sort();
    expect(preloaded).toEqual(modules);
    expect(bundledIndex(html)).not.toContain('modulepreload');
    expect(bundledIndex(html)).toContain('<script type="module" src="app.js"></script>');
  });

  it('serves the bundle only while ui/ is as it was bundled, the modules otherwise', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sightline-ui-'));
    try {
      const ui = join(root, 'ui');
      const dist = join(root, 'ui-dist');
      mkdirSync(ui);
      writeFileSync(join(ui, 'app.js'), 'export const a = 1;');
      expect((await uiState(ui, dist)).bundled).toBe(false); // no ui-dist at all
      mkdirSync(dist);
      writeFileSync(join(dist, 'app.js'), 'const a = 1;');
      expect((await uiState(ui, dist)).bundled).toBe(false); // a bundle without its stamp (a failed build)
      writeFileSync(join(dist, BUNDLE_STAMP), `${await uiVersion(ui)}\n`);
      const bundled = await uiState(ui, dist);
      expect(bundled.bundled).toBe(true);
      expect(bundled.version).not.toBe(await uiVersion(ui));
      writeFileSync(join(ui, 'app.js'), 'export const a = 2;');
      utimesSync(join(ui, 'app.js'), new Date(), new Date(Date.now() + 5000));
      expect(await uiState(ui, dist)).toEqual({ version: await uiVersion(ui), bundled: false }); // edited since
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('changes the version when any file of the UI changes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sightline-ui-'));
    try {
      writeFileSync(join(root, 'index.html'), '<script type="module" src="app.js"></script>');
      writeFileSync(join(root, 'app.js'), 'export const a = 1;');
      const before = await uiVersion(root);
      expect(await uiVersion(root)).toBe(before);
      writeFileSync(join(root, 'app.js'), 'export const a = 2;');
      utimesSync(join(root, 'app.js'), new Date(), new Date(Date.now() + 5000));
      expect(await uiVersion(root)).not.toBe(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('rewrites only the paths of its own files in index.html', () => {
    const html = '<link href="style.css"><script src="app.js"></script><a href="#/services">S</a><a href="https://x.test/a.js">x</a><img src="/abs.png"><img src="data:image/png;base64,AA">';
    expect(versionedIndex(html, 'V1')).toBe('<link href="v/V1/style.css"><script src="v/V1/app.js"></script><a href="#/services">S</a><a href="https://x.test/a.js">x</a><img src="/abs.png"><img src="data:image/png;base64,AA">');
  });

  it('redirects /ui to /ui/, and a browser asking for / to the UI', async () => {
    const ui = await rawGet(collector.url, '/ui');
    expect(ui.status).toBe(301);
    expect(ui.headers.location).toBe('/ui/');
    const root = await rawGet(collector.url, '/', { accept: 'text/html,application/xhtml+xml' });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/ui/');
  });

  it.each([
    ['a missing file', '/ui/nope.js'],
    ['a directory', '/ui/lib/'],
    ['an encoded ..', '/ui/%2e%2e/package.json'],
    ['an encoded slash after ..', '/ui/..%2fpackage.json'],
    ['a backslash', '/ui/..%5cpackage.json'],
    ['a NUL byte', '/ui/index.html%00.js'],
    ['a dot-file', '/ui/.hidden'],
    ['a malformed escape', '/ui/%E0%A4%A'],
  ])('answers 404 for %s', async (_what, path) => {
    const response = await rawGet(collector.url, path);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('"name"');
  });

  it('never leaves the ui folder, whatever the path', () => {
    for (const path of ['/ui/../src/index.ts', '/ui/%2e%2e/%2e%2e/etc/passwd', '/ui/lib/../../package.json', '/ui//etc/passwd']) {
      const file = uiFilePath(path);
      expect(file === null || file.startsWith(`${UI_ROOT}/`)).toBe(true);
    }
    expect(uiFilePath('/ui/lib/h.js')).toBe(`${UI_ROOT}/lib/h.js`);
  });

  it('is read-only', async () => {
    const response = await fetch(`${collector.url}/ui/index.html`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
