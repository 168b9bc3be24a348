import { readFileSync } from 'node:fs';

/** This package's version, read once from its package.json. */
export const COLLECTOR_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/**
 * The APM Server version announced to Elastic agents in GET /. Agents switch features on
 * by it (8.x: span links, activation method, compressed spans), and the collector accepts
 * the intake v2 format of that version.
 */
export const APM_SERVER_COMPAT_VERSION = '8.15.0';
