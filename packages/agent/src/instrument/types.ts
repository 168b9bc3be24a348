/**
 * What an instrumentation is: a patch applied when a module loads (through
 * require-in-the-middle for `require`, import-in-the-middle for `import`), or a subscriber
 * to a diagnostics channel that a library publishes on. Each library has one file.
 */
import type { Agent } from '../agent.js';

export interface ModuleInfo {
  /** The module's name as hooked, e.g. `pg` or `express/lib/router/index.js`. */
  name: string;
  /** The module's version from its package.json, when found. */
  version: string | null;
  /** The module's folder, when known. */
  baseDir: string | null;
}

export interface ModulePatch {
  /** The instrumentation's name, used by `disableInstrumentations` (e.g. `pg`). */
  readonly id: string;
  /** Module names to hook: a package (`pg`) or a file inside one (`express/lib/router/index.js`). */
  readonly modules: readonly string[];
  /** Whether this version is supported; unsupported versions are left alone (debug-logged). */
  supports?(version: string | null): boolean;
  /**
   * Patches the module's CommonJS exports (for an ES module, its namespace) and returns
   * what the module should export instead (usually the same object). Must be idempotent:
   * a CJS module imported from ESM may reach both hooks.
   */
  patch(exports: any, info: ModuleInfo, agent: Agent): any;
}

export interface ChannelInstrumentation {
  readonly id: string;
  /** Subscribes to the library's diagnostics channels; returns the unsubscribe. */
  enable(agent: Agent): () => void;
}
