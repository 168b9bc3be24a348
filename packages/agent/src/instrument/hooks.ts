/**
 * Applies module patches when modules load: require-in-the-middle for `require`, and
 * import-in-the-middle for `import` (whose loader the `register` entry installs before the
 * app's code is linked). Modules already loaded before the agent started cannot be patched
 * in ESM and are not patched in CJS either (their objects may have been captured already):
 * a one-time warning names them.
 */
import { createRequire } from 'node:module';
import { Hook as RequireHook } from 'require-in-the-middle';
import { Hook as ImportHook } from 'import-in-the-middle';
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { moduleVersion } from './module-version.js';
import type { ModuleInfo, ModulePatch } from './types.js';

const PATCHED = Symbol.for('sightline.patched');
const require = createRequire(import.meta.url);

function packageName(moduleName: string): string {
  const parts = moduleName.split('/');
  return moduleName.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function applyPatch(patch: ModulePatch, exports: any, name: string, baseDir: string | undefined | void, agent: Agent): any {
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return exports;
  if (exports[PATCHED] === true) return exports;
  const info: ModuleInfo = { name, version: moduleVersion(baseDir || null), baseDir: baseDir || null };
  if (patch.supports && !patch.supports(info.version)) {
    logger.debug(`not instrumenting ${name}@${info.version ?? '?'}: version not supported`);
    return exports;
  }
  try {
    const result = patch.patch(exports, info, agent) ?? exports;
    try {
      Object.defineProperty(result, PATCHED, { value: true, enumerable: false, configurable: true });
    } catch {
      // A frozen export: the patch result is still used.
    }
    logger.debug(`instrumented ${name}@${info.version ?? '?'}`);
    return result;
  } catch (err) {
    logger.once('warn', `patch:${patch.id}`, `could not instrument ${name}: ${(err as Error)?.message ?? err}`);
    return exports;
  }
}

/** Warns once per module that was loaded before the agent started. */
function warnPreloaded(patches: readonly ModulePatch[], instrumentsLoaded: readonly string[]): void {
  const loaded = Object.keys(require.cache);
  for (const patch of patches) {
    for (const m of patch.modules) {
      const pkg = packageName(m);
      if (instrumentsLoaded.includes(pkg)) continue;
      const marker = `/node_modules/${pkg}/`;
      if (loaded.some((file) => file.includes(marker))) {
        logger.once(
          'warn',
          `preloaded:${pkg}`,
          `${pkg} was loaded before the agent started, so it is not instrumented. ` +
            `Start the agent first: node --import @sightline/agent/register app.js`,
        );
        break;
      }
    }
  }
}

export interface InstalledHooks {
  unhook(): void;
}

export function installModuleHooks(patches: readonly ModulePatch[], agent: Agent, instrumentsLoaded: readonly string[] = []): InstalledHooks {
  const byModule = new Map<string, ModulePatch[]>();
  for (const patch of patches) {
    for (const m of patch.modules) {
      const list = byModule.get(m) ?? [];
      list.push(patch);
      byModule.set(m, list);
    }
  }
  const names = [...byModule.keys()];
  if (names.length === 0) return { unhook() {} };
  warnPreloaded(patches, instrumentsLoaded);

  const onLoad = (exports: any, name: string, baseDir?: string | void): any => {
    const list = byModule.get(name);
    if (list === undefined) return exports;
    let out = exports;
    for (const patch of list) out = applyPatch(patch, out, name, baseDir, agent);
    return out;
  };

  const requireHook = new RequireHook(names, { internals: true }, onLoad);
  const importHook = new ImportHook(names, { internals: true }, (ns: any, name: string, baseDir: string | void, format?: string) => {
    const isCjs = format === 'commonjs' || (format === undefined && ns.default !== undefined && ns.default !== null);
    if (!isCjs) {
      onLoad(ns, name, baseDir);
      return;
    }
    const original = ns.default;
    const patched = onLoad(original, name, baseDir);
    if (patched !== original) ns.default = patched;
  });
  return {
    unhook() {
      requireHook.unhook();
      importHook.unhook();
    },
  };
}
