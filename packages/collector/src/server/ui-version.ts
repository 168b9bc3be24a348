import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/collector/ui, reached the same way from src/server (tests) and dist/server (built). */
export const UI_ROOT = resolve(fileURLToPath(new URL('../../ui/', import.meta.url)));
/** packages/collector/ui-dist: the UI's modules bundled into one file by scripts/bundle-ui.mjs. */
export const UI_DIST_ROOT = resolve(fileURLToPath(new URL('../../ui-dist/', import.meta.url)));
/** In ui-dist: the version of ui/ the bundle was made from. */
export const BUNDLE_STAMP = 'source-version.txt';

/** Every file under a folder, as paths relative to it (dot-files left out). */
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
 * A folder's version: a hash of every file's path, size and modification time, so editing
 * any of them (or installing another collector) gives a new one. Cheap enough to read again
 * on each visit (a stat per file, no reads), which keeps a development edit visible.
 */
export async function uiVersion(root = UI_ROOT): Promise<string> {
  const hash = createHash('sha1');
  for (const file of await listFiles(root)) {
    const info = await stat(join(root, file));
    hash.update(`${file}\u0000${info.size}\u0000${info.mtimeMs}\u0000`);
  }
  return hash.digest('base64url').slice(0, 12);
}

export interface UiState {
  /** Names the files served now: `v/<version>/…` paths. */
  version: string;
  /** Serve ui-dist's files first: its bundle was made from ui/ as it is now. */
  bundled: boolean;
}

/**
 * Which files to serve: the bundle when ui-dist holds one made from the current ui/ (the
 * install's build makes it), otherwise the modules themselves, so an edit to ui/ after the
 * build shows at once instead of a stale bundle.
 */
export async function uiState(root = UI_ROOT, dist = UI_DIST_ROOT): Promise<UiState> {
  const source = await uiVersion(root);
  let stamp: string | null = null;
  try {
    stamp = (await readFile(join(dist, BUNDLE_STAMP), 'utf8')).trim();
  } catch {
    // No bundle: the modules are served.
  }
  if (stamp !== source) return { version: source, bundled: false };
  return { version: `${source.slice(0, 6)}${(await uiVersion(dist)).slice(0, 6)}`, bundled: true };
}

/** index.html with its own files named by versioned path (links to `#/…` and absolute URLs are kept). */
export function versionedIndex(html: string, version: string): string {
  return html.replace(/\b(src|href)="(?![#/]|[a-z][a-z0-9+.-]*:)([^"]+)"/gi, (_all, attribute: string, path: string) => `${attribute}="v/${version}/${path}"`);
}

/** index.html for the bundle: the module preloads dropped, app.js being the only script. */
export function bundledIndex(html: string): string {
  return html
    .split('\n')
    .filter((line) => !line.includes('rel="modulepreload"') && !line.includes('<!-- Every module at once'))
    .join('\n');
}
