import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectorContext } from './context.js';
import { sendText } from './respond.js';

/** packages/collector/ui, reached the same way from src/server (tests) and dist/server (built). */
export const UI_ROOT = resolve(fileURLToPath(new URL('../../ui/', import.meta.url)));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The UI draws everything from the DOM API and never evaluates data, but the policy makes an
 * injected element inert anyway: no inline script, no foreign origin, no framing.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

// Bounded by the number of files in ui/, which is small and fixed.
const cache = new Map<string, CachedFile>();

async function load(path: string): Promise<CachedFile | null> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return null;
  }
  if (!info.isFile()) return null;
  const cached = cache.get(path);
  if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
  const body = await readFile(path);
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
  const file = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
  cache.set(path, file);
  return file;
}

/**
 * Maps a URL path under /ui/ to a file under UI_ROOT, or null when it would leave it
 * (`..`, encoded slashes or backslashes, NUL) or names a dot-file.
 */
export function uiFilePath(pathname: string, root = UI_ROOT): string | null {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice('/ui/'.length));
  } catch {
    return null;
  }
  if (relative === '') relative = 'index.html';
  if (relative.includes('\0') || relative.includes('\\')) return null;
  if (relative.split('/').some((part) => part.startsWith('.'))) return null;
  const full = resolve(root, relative);
  return full.startsWith(root + sep) ? full : null;
}

/**
 * GET /ui/...: the web UI's static files. They load without credentials (they hold no
 * data); every API call the UI makes sends the token the user gives it.
 */
export async function handleUi(_ctx: CollectorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendText(res, 405, `${req.method} is not supported; the UI is read-only\n`);
    return;
  }
  if (url.pathname === '/ui') {
    res.writeHead(301, { location: `/ui/${url.search}` });
    res.end();
    return;
  }
  const path = uiFilePath(url.pathname);
  const file = path === null ? null : await load(path);
  if (path === null || file === null) {
    sendText(res, 404, `not found: ${url.pathname}\n`);
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    // Revalidate every time: a small 304 keeps the UI in step with the collector's version.
    'cache-control': 'no-cache',
    etag: file.etag,
    ...SECURITY_HEADERS,
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['content-length'] = file.body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : file.body);
}
