import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import type { CollectorContext } from './context.js';
import { sendText } from './respond.js';
import { UI_DIST_ROOT, UI_ROOT, uiState, type UiState, versionedIndex } from './ui-version.js';

export { UI_ROOT } from './ui-version.js';

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

// Bounded by the number of files in ui/ and ui-dist/, which is small and fixed.
const cache = new Map<string, CachedFile>();

/**
 * Versioned paths: index.html names every file as `v/<version>/<path>`, where the version
 * changes with any file of the UI, and those answers may be cached for a year without
 * asking again. A repeat visit then loads no script at all; only index.html (small, always
 * revalidated) tells the browser which version to use.
 */
const VERSIONED = /^\/ui\/v\/([\w-]{1,64})\//;
const IMMUTABLE = 'public, max-age=31536000, immutable';

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

/** What to serve, read at most once a second (a page load asks once per file). */
let stateCache: { atMs: number; value: Promise<UiState> } | null = null;

function currentState(): Promise<UiState> {
  const now = Date.now();
  if (stateCache === null || now - stateCache.atMs >= 1000) stateCache = { atMs: now, value: uiState() };
  return stateCache.value;
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
  // A versioned path is the file itself; the current version's answer never changes.
  const versioned = VERSIONED.exec(url.pathname);
  const pathname = versioned === null ? url.pathname : `/ui/${url.pathname.slice(versioned[0].length)}`;
  const state = await currentState();
  // The bundle's files (app.js, index.html) first when it is current, the modules otherwise.
  let path = state.bundled ? uiFilePath(pathname, UI_DIST_ROOT) : null;
  let file = path === null ? null : await load(path);
  if (file === null) {
    path = uiFilePath(pathname);
    file = path === null ? null : await load(path);
  }
  if (path === null || file === null) {
    sendText(res, 404, `not found: ${url.pathname}\n`);
    return;
  }
  const version = state.version;
  if (versioned === null && (pathname === '/ui/' || pathname === '/ui/index.html')) file = indexOf(file, version);
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    // Revalidate every time, except a file of the current version: a small 304 keeps the UI
    // in step with the collector. (An older version's path, from a page open across an
    // upgrade, gets today's file, revalidated.)
    'cache-control': versioned !== null && versioned[1] === version ? IMMUTABLE : 'no-cache',
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

/** index.html naming the version's paths, kept per version (one at a time). */
let indexCache: { source: CachedFile; version: string; file: CachedFile } | null = null;

function indexOf(source: CachedFile, version: string): CachedFile {
  if (indexCache !== null && indexCache.source === source && indexCache.version === version) return indexCache.file;
  const body = Buffer.from(versionedIndex(source.body.toString('utf8'), version));
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
  const file = { mtimeMs: source.mtimeMs, size: body.length, body, etag };
  indexCache = { source, version, file };
  return file;
}
