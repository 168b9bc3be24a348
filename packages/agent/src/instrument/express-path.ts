/**
 * Route templates as Express users write them, and how mounts join them. The template of a
 * layer is recorded when the app declares it (`use`, `route`) because Express 4 keeps only
 * the compiled RegExp.
 *
 * - A string path is kept as written: `/users/:id`, `/files/*splat`.
 * - A RegExp path is named by its source: `/^\/files\/.*$/`.
 * - An array path is named by all of its entries joined with `,`: `/a,/b` (which entry
 *   matched is not recorded by every Express version; the joined name is stable).
 * - Mounts are joined: `app.use('/api', router)` + `router.get('/users/:id')` is
 *   `/api/users/:id`; a route `/` under a mount is named by the mount (`/api`).
 */
export const kLayerPath = Symbol('sightline.express.layerPath');

export function templateOf(path: unknown): string {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (Array.isArray(path)) return path.map(templateOf).join(',');
  return String(path);
}

export function joinPaths(base: string, path: string): string {
  if (base === '') return path === '' ? '/' : path;
  if (path === '/' || path === '') return base;
  const baseSlash = base.endsWith('/');
  const pathSlash = path.startsWith('/');
  if (baseSlash && pathSlash) return base + path.slice(1);
  if (!baseSlash && !pathSlash) return `${base}/${path}`;
  return base + path;
}

/** The path argument of `router.use(...)`, decided as Express decides it; `/` when none. */
export function mountPathOf(first: unknown): unknown {
  if (typeof first === 'function') return '/';
  let arg = first;
  while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
  return typeof arg === 'function' ? '/' : first;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * For a mount declared before the agent could record its template (Express 4): its matched
 * path with each parameter's value put back as `:name`. Never the raw URL when the mount has
 * parameters, so the name stays low-cardinality.
 */
export function templateFromMatch(path: string, keys: unknown, params: unknown): string {
  if (!Array.isArray(keys) || keys.length === 0 || params === null || typeof params !== 'object') return path;
  const segments = path.split('/');
  for (const key of keys as Array<{ name?: unknown }>) {
    const name = key?.name;
    if (name === undefined) continue;
    const value = (params as Record<string, unknown>)[String(name)];
    if (value === undefined) continue;
    for (let i = 1; i < segments.length; i++) {
      if (!segments[i]!.startsWith(':') && decode(segments[i]!) === String(value)) {
        segments[i] = `:${String(name)}`;
        break;
      }
    }
  }
  return segments.join('/');
}
