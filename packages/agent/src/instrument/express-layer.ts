/**
 * The Layer patch, shared by Express 4 (`handle_request`/`handle_error`) and the `router`
 * package of Express 5 (`handleRequest`/`handleError`). Patched on the prototype, so the
 * app's own functions are never wrapped (Express reads their arity).
 *
 * - A route layer names the transaction: method + the mount templates + the route's path.
 * - A mount layer (`app.use('/api', router)`) adds its template to the request's mount base
 *   for as long as the request is inside it; the `next` it is given restores the base.
 * - An error handed to any later layer is reported (once: see captureRequestError).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Transaction } from '../trace/transaction.js';
import { joinPaths, kLayerPath, templateFromMatch, templateOf } from './express-path.js';
import { captureRequestError, kTransaction, noteFramework } from './http-server.js';
import { moduleVersion } from './module-version.js';

const require = createRequire(import.meta.url);
const EXPRESS_ENTRY = '/node_modules/express/index.js';

const kPatchedLayer = Symbol.for('sightline.express.layer.patched');
/** On the request: the template of the mounts the request is inside (`/api/users/:uid`). */
const kMountBase = Symbol('sightline.express.mountBase');

type Fn = (this: any, ...args: any[]) => unknown;

interface LayerLike {
  route?: { path?: unknown } | null;
  rawPath?: unknown;
  path?: unknown;
  keys?: unknown;
  params?: unknown;
  [kLayerPath]?: string;
}

interface RequestLike {
  method?: string;
  [kTransaction]?: Transaction | null;
  [kMountBase]?: string;
}

/** The Express version to name in the metadata, set when express loads or is found loaded. */
let expressVersion: string | null = null;
let lookedUp = false;

export function noteExpressVersion(version: string | null): void {
  if (version !== null) expressVersion = version;
}

/**
 * The version, looked for once in the require cache when Express's own entry was not seen
 * loading (an ES module app imports it through a path the hook does not match).
 */
function versionOfExpress(): string | null {
  if (expressVersion !== null || lookedUp) return expressVersion;
  lookedUp = true;
  try {
    for (const file of Object.keys(require.cache)) {
      if (file.endsWith(EXPRESS_ENTRY)) {
        expressVersion = moduleVersion(dirname(file));
        if (expressVersion !== null) break;
      }
    }
  } catch {
    // No version then.
  }
  return expressVersion;
}

/** The template a mount layer adds to the base, or null when it adds nothing (`/`). */
function mountTemplateOf(layer: LayerLike): string | null {
  let t = layer[kLayerPath];
  if (t === undefined && layer.rawPath !== undefined) {
    // A layer Express made itself (a route's method layers, run on every request): its path never changes.
    t = layer[kLayerPath] = templateOf(layer.rawPath);
  }
  if (t !== undefined) return t === '/' || t === '' ? null : t;
  // Declared before the agent was there: rebuild it from what the layer matched.
  const matched = layer.path;
  if (typeof matched !== 'string' || matched === '' || matched === '/') return null;
  return templateFromMatch(matched, layer.keys, layer.params);
}

function nameRoute(tx: Transaction, req: RequestLike, layer: LayerLike, route: { path?: unknown }): void {
  const template = layer[kLayerPath] ?? templateOf(route.path);
  const base = req[kMountBase];
  tx.setName(`${req.method ?? 'GET'} ${joinPaths(base ?? '', template)}`, 2);
}

function restoringBase(req: RequestLike, base: string | undefined, next: Fn): Fn {
  return function sightlineNext(this: unknown) {
    req[kMountBase] = base;
    return next.apply(this, arguments as unknown as unknown[]);
  };
}

function wrapHandleRequest(original: Fn): Fn {
  return function handleRequest(this: LayerLike, req: RequestLike, res: unknown, next: unknown) {
    const tx = req === null || req === undefined ? undefined : req[kTransaction];
    if (tx === undefined || tx === null) return original.call(this, req, res, next);
    let nextArg = next;
    try {
      noteFramework(tx, 'express', versionOfExpress());
      const route = this.route;
      if (route !== undefined && route !== null) {
        nameRoute(tx, req, this, route);
      } else if (typeof next === 'function') {
        const template = mountTemplateOf(this);
        if (template !== null) {
          const base = req[kMountBase];
          req[kMountBase] = joinPaths(base ?? '', template);
          nextArg = restoringBase(req, base, next as Fn);
        }
      }
    } catch {
      // Naming is best effort; the request goes on untouched.
    }
    return original.call(this, req, res, nextArg);
  };
}

function wrapHandleError(original: Fn): Fn {
  return function handleError(this: LayerLike, error: unknown, req: RequestLike) {
    const tx = req === null || req === undefined ? undefined : req[kTransaction];
    if (tx !== undefined && tx !== null) captureRequestError(tx, error);
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** Patches a Layer prototype once, whichever spelling its methods have. */
export function patchLayerProto(proto: Record<string | symbol, unknown> | null | undefined): void {
  if (proto === null || proto === undefined || proto[kPatchedLayer] === true) return;
  const camel = typeof proto.handleRequest === 'function';
  const requestKey = camel ? 'handleRequest' : 'handle_request';
  const errorKey = camel ? 'handleError' : 'handle_error';
  if (typeof proto[requestKey] !== 'function' || typeof proto[errorKey] !== 'function') return;
  proto[requestKey] = wrapHandleRequest(proto[requestKey] as Fn);
  proto[errorKey] = wrapHandleError(proto[errorKey] as Fn);
  Object.defineProperty(proto, kPatchedLayer, { value: true, enumerable: false, configurable: true });
}
