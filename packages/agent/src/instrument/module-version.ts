import { readFileSync } from '../node-builtins.js';
import { join } from 'node:path';

const cache = new Map<string, string | null>();

/** The `version` of the package.json in `baseDir`, read once per folder. */
export function moduleVersion(baseDir: string | null | undefined): string | null {
  if (!baseDir) return null;
  let v = cache.get(baseDir);
  if (v !== undefined) return v;
  try {
    const pkg = JSON.parse(readFileSync(join(baseDir, 'package.json'), 'utf8')) as { version?: unknown };
    v = typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    v = null;
  }
  cache.set(baseDir, v);
  return v;
}

/** The major version number, or null. */
export function majorOf(version: string | null): number | null {
  if (version === null) return null;
  const m = /^(\d+)\./.exec(version);
  return m === null ? null : Number(m[1]);
}
