import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiFilePath, UI_ROOT } from '../src/server/ui-route.js';
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
    expect(index.body).toContain('<script type="module" src="app.js">');
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
