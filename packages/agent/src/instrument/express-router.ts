/**
 * The Router patch, shared by Express 4 (`express/lib/router/index.js`, whose export is the
 * router prototype) and Express 5 (the `router` package, `Router.prototype`):
 * - `use` and `route` record each new layer's path template (see express-path.ts);
 * - `handle` sees an error leave a router (to the enclosing router or the final handler),
 *   so an error no error-handling middleware handles is still reported.
 */
import type { Transaction } from '../trace/transaction.js';
import { kLayerPath, mountPathOf, templateOf } from './express-path.js';
import { captureRequestError, kTransaction } from './http-server.js';

const kPatchedRouter = Symbol.for('sightline.express.router.patched');

type Fn = (this: any, ...args: any[]) => unknown;
interface RouterLike {
  stack?: unknown;
}
type RequestLike = { [kTransaction]?: Transaction | null } | null | undefined;

function tagNewLayers(router: RouterLike, from: number, template: string): void {
  const stack = router.stack;
  if (!Array.isArray(stack)) return;
  for (let i = from; i < stack.length; i++) {
    const layer = stack[i] as Record<symbol, unknown> | null;
    if (layer !== null && typeof layer === 'object') layer[kLayerPath] = template;
  }
}

function stackLength(router: RouterLike | null | undefined): number {
  const stack = router?.stack;
  return Array.isArray(stack) ? stack.length : -1;
}

function wrapUse(original: Fn): Fn {
  return function use(this: RouterLike, first: unknown) {
    const before = stackLength(this);
    const out = original.apply(this, arguments as unknown as unknown[]);
    if (before !== -1) tagNewLayers(this, before, templateOf(mountPathOf(first)));
    return out;
  };
}

function wrapRoute(original: Fn): Fn {
  return function route(this: RouterLike, path: unknown) {
    const before = stackLength(this);
    const out = original.apply(this, arguments as unknown as unknown[]);
    if (before !== -1) tagNewLayers(this, before, templateOf(path));
    return out;
  };
}

function reportingErrors(tx: Transaction, out: Fn): Fn {
  return function sightlineRouterDone(this: unknown, err: unknown) {
    if (err) captureRequestError(tx, err);
    return out.apply(this, arguments as unknown as unknown[]);
  };
}

function wrapHandle(original: Fn): Fn {
  return function handle(this: unknown, req: RequestLike, res: unknown, out: unknown) {
    const tx = req === null || req === undefined ? undefined : req[kTransaction];
    if (tx === undefined || tx === null || typeof out !== 'function') return original.apply(this, arguments as unknown as unknown[]);
    return original.call(this, req, res, reportingErrors(tx, out as Fn));
  };
}

/** Patches a router prototype (an object holding use/route/handle) once. */
export function patchRouterProto(proto: Record<string | symbol, unknown> | null | undefined): void {
  if (proto === null || proto === undefined || proto[kPatchedRouter] === true) return;
  if (typeof proto.use !== 'function' || typeof proto.route !== 'function' || typeof proto.handle !== 'function') return;
  proto.use = wrapUse(proto.use as Fn);
  proto.route = wrapRoute(proto.route as Fn);
  proto.handle = wrapHandle(proto.handle as Fn);
  Object.defineProperty(proto, kPatchedRouter, { value: true, enumerable: false, configurable: true });
}
