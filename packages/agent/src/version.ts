import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** This agent's version, from its package.json (sent in metadata and the User-Agent). */
export const AGENT_VERSION: string = (() => {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
