export interface RouteMatch<T> {
  value: T;
  params: Record<string, string>;
}

interface CompiledRoute<T> {
  segments: string[];
  value: T;
}

/**
 * Matches '/a/:param/b' patterns segment by segment on the raw path, decoding each
 * parameter on its own, so a transaction name such as 'GET /users/:id' can travel as one
 * %2F-encoded segment.
 */
export class Router<T> {
  readonly #routes: CompiledRoute<T>[] = [];

  add(pattern: string, value: T): this {
    this.#routes.push({ segments: pattern.split('/').slice(1), value });
    return this;
  }

  /** Returns null when nothing matches; throws URIError on a malformed %-escape. */
  match(pathname: string): RouteMatch<T> | null {
    const parts = pathname.split('/').slice(1);
    for (const route of this.#routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < parts.length; i++) {
        const segment = route.segments[i]!;
        if (segment.startsWith(':')) {
          if (parts[i] === '') {
            matched = false;
            break;
          }
          params[segment.slice(1)] = decodeURIComponent(parts[i]!);
        } else if (segment !== parts[i]) {
          matched = false;
          break;
        }
      }
      if (matched) return { value: route.value, params };
    }
    return null;
  }
}
