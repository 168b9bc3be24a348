/**
 * Which requests the load generator sends: every route of every app, weighted so that the
 * UI has a bit of everything (slow ones, failing ones, SQL ones). The first round visits
 * each app and route once in order, so even a short run covers them all.
 */
export const DEMO_ROUTES = ['/', '/delay', '/upstream', '/5xx', '/sql-write', '/sql-read', '/sql-group'] as const;
export type DemoRoute = (typeof DEMO_ROUTES)[number];

const WEIGHTS: Record<DemoRoute, number> = {
  '/': 3,
  '/delay': 3,
  '/upstream': 3,
  '/5xx': 1,
  '/sql-write': 2,
  '/sql-read': 3,
  '/sql-group': 2,
};
const TOTAL_WEIGHT = DEMO_ROUTES.reduce((sum, r) => sum + WEIGHTS[r], 0);

export interface Target {
  service: string;
  url: string;
}

export interface PlannedRequest {
  service: string;
  route: DemoRoute;
  url: string;
}

export class RouteMix {
  private sent = 0;

  constructor(private readonly targets: readonly Target[]) {
    if (targets.length === 0) throw new Error('the load needs at least one app');
  }

  next(): PlannedRequest {
    const n = this.sent++;
    const firstRound = this.targets.length * DEMO_ROUTES.length;
    let target: Target;
    let route: DemoRoute;
    if (n < firstRound) {
      target = this.targets[n % this.targets.length]!;
      route = DEMO_ROUTES[Math.floor(n / this.targets.length)]!;
    } else {
      target = this.targets[Math.floor(Math.random() * this.targets.length)]!;
      route = weighted();
    }
    return { service: target.service, route, url: `${target.url}${route}` };
  }
}

function weighted(): DemoRoute {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const route of DEMO_ROUTES) {
    r -= WEIGHTS[route];
    if (r < 0) return route;
  }
  return DEMO_ROUTES[0];
}
