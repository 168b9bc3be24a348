/** The app's own package.json, found upward from the entry script (else the working directory). */
import { readFileSync } from '../node-builtins.js';
import { dirname, join, resolve } from 'node:path';

export interface PackageInfo {
  name: string | null;
  version: string | null;
}

function findUp(start: string): PackageInfo | null {
  let dir = resolve(start);
  for (let i = 0; i < 50; i++) {
    if (!dir.split(/[\\/]/).includes('node_modules')) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
        return {
          name: typeof pkg.name === 'string' ? pkg.name : null,
          version: typeof pkg.version === 'string' ? pkg.version : null,
        };
      } catch {
        // No (readable) package.json here: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

export function readPackageInfo(): PackageInfo {
  const entry = process.argv[1];
  return (entry ? findUp(dirname(entry)) : null) ?? findUp(process.cwd()) ?? { name: null, version: null };
}

/** `@acme/shop-api` becomes `acme-shop-api`: service names allow letters, digits, space, `_`, `-`. */
export function toServiceName(packageName: string | null): string {
  const cleaned = (packageName ?? '').replace(/^@/, '').replace(/[^a-zA-Z0-9 _-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'nodejs-service' : cleaned;
}
