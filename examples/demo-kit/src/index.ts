/**
 * @sightline/demo-kit — what the demo apps share (private to this repository): the people
 * table on SQLite or PostgreSQL, the skewed latency of /delay, the call to the upstream, and
 * the start/stop handshake with the runner (`pnpm demo`, dist/run.js).
 */
export { openPeople, peopleOptionsFromEnv } from './db/open.js';
export type { OpenPeopleOptions } from './db/open.js';
export { dropPostgresSchema } from './db/postgres.js';
export { READ_LIMIT } from './db/people.js';
export type { PeopleStore, Person, CityCount } from './db/people.js';
export { skewedDelayMs, sleep } from './delay.js';
export { callUpstream } from './upstream-client.js';
export type { UpstreamAnswer } from './upstream-client.js';
export { announceReady, closeServer, onShutdown, parseReady } from './lifecycle.js';
export type { ReadyMessage } from './lifecycle.js';
export { faultFromEnv } from './fault.js';
export type { DemoFault } from './fault.js';
export { DEMO_ROUTES } from './load/mix.js';
export type { DemoRoute } from './load/mix.js';
export { RouteMix } from './load/mix.js';
export type { Target, PlannedRequest } from './load/mix.js';
export { LatencyHistogram } from './load/histogram.js';
export { parseRunOptions, UsageError } from './runner/options.js';
export type { RunOptions } from './runner/options.js';
