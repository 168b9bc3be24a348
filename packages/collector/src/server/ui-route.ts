import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
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

/**
 * Versioned paths: index.html names every file as `v/<version>/<path>`, where the version
 * changes with any file of the UI, and those answers may be cached for a year without
 * asking again. A repeat visit then loads no module at all; only index.html (small, always
 * revalidated) tells the browser which version to use.
 */
const VERSIONED = /^\/ui\/v\/([\w-]{1,64})\//;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Every file under the UI folder, as paths relative to it. */
async function listFiles(root: string, dir = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, full)));
    else if (entry.isFile()) files.push(relative(root, full));
  }
  return files.sort();
}

/**
 * The UI's version: a hash of every file's path, size and modification time, so editing
 * any of them (or installing another collector) gives a new one. Read again on each visit
 * (a stat per file, no reads), which is what keeps a development edit visible.
 */
export async function uiVersion(root = UI_ROOT): Promise<string> {
  const hash = createHash('sha1');
  for (const file of await listFiles(root)) {
    const info = await stat(join(root, file));
    hash.update(`${file}\u0000${info.size}\u0000${info.mtimeMs}\u0000`);
  }
  return hash.digest('base64url').slice(0, 12);
}

/** The version, read at most once a second (a page load asks for it once per file). */
let versionCache: { atMs: number; value: Promise<string> } | null = null;

function currentVersion(): Promise<string> {
  const now = Date.now();
  if (versionCache === null || now - versionCache.atMs >= 1000) versionCache = { atMs: now, value: uiVersion() };
  return versionCache.value;
}

/** index.html with its own files named by versioned path (links to `#/…` and absolute URLs are kept). */
export function versionedIndex(html: string, version: string): string {
  return html.replace(/\b(src|href)="(?![#/]|[a-z][a-z0-9+.-]*:)([^"]+)"/gi, (_all, attribute: string, path: string) => `${attribute}="v/${version}/${path}"`);
}

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
  // A versioned path is the file itself; the current version's answer never changes.
  const versioned = VERSIONED.exec(url.pathname);
  const pathname = versioned === null ? url.pathname : `/ui/${url.pathname.slice(versioned[0].length)}`;
  const path = uiFilePath(pathname);
  let file = path === null ? null : await load(path);
  if (path === null || file === null) {
    sendText(res, 404, `not found: ${url.pathname}\n`);
    return;
  }
  const isIndex = path === resolve(UI_ROOT, 'index.html');
  const version = versioned !== null || isIndex ? await currentVersion() : null;
  if (isIndex && versioned === null) file = indexOf(file, version!);
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
