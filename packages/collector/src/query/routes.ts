import { anomalies } from './anomalies.js';
import type { CollectorContext } from '../server/context.js';
import type { Page, RangeFilter } from '../store/store.js';
import { flag, integer, optionalMs, pageInfo, parseInterval, parsePage, parseRange, ParamError, rangeInfo } from './params.js';

export interface QueryRequest {
  params: Record<string, string>;
  query: URLSearchParams;
}

/** A query handler returns the JSON body, or null for "no such thing" (404). */
export type QueryHandler = (ctx: CollectorContext, req: QueryRequest) => Promise<unknown>;

const ALL_TIME: Pick<RangeFilter, 'fromMs' | 'toMs'> = { fromMs: 0, toMs: 8_640_000_000_000_000 };

/** Ids are hex in both intake formats; anything else cannot exist, so it is a 400 not a 404. */
function requireId(value: string, name: string): string {
  if (!/^[0-9a-zA-Z_-]{1,128}$/.test(value)) throw new ParamError(`${name} ${JSON.stringify(value)} is not a valid id`);
  return value;
}

/** Detail lookups search all time unless the caller narrows them. */
function detailRange(query: URLSearchParams): RangeFilter {
  return query.has('from') || query.has('to') ? parseRange(query) : { ...ALL_TIME };
}

/** A paged list whose items carry `countsOverTime` per interval when the query asks for it. */
async function listWithCounts<T>(
  query: URLSearchParams,
  read: (range: RangeFilter, page: Page, intervalMs?: number) => Promise<T[]>,
) {
  const range = parseRange(query);
  const page = parsePage(query);
  if (!flag(query, 'countsOverTime')) {
    const items = await read(range, page);
    return { range: rangeInfo(range), items, page: pageInfo(page, items.length) };
  }
  const intervalMs = parseInterval(query, range);
  const items = await read(range, page, intervalMs);
  const first = Math.floor(range.fromMs / intervalMs) * intervalMs;
  return { range: rangeInfo(range), countsOverTime: { startMs: first, intervalMs }, items, page: pageInfo(page, items.length) };
}

const services: QueryHandler = async (ctx, { query }) => listWithCounts(query, (range, page, intervalMs) => ctx.store.services(range, page, intervalMs));

const transactionGroups: QueryHandler = async (ctx, { params, query }) => {
  const range = { ...parseRange(query), service: params.service! };
  const page = parsePage(query);
  const items = await ctx.store.transactionGroups(range, page);
  return { service: params.service, range: rangeInfo(range), items, page: pageInfo(page, items.length) };
};

const timeseries: QueryHandler = async (ctx, { params, query }) => {
  const range = { ...parseRange(query), service: params.service!, name: params.name! };
  const intervalMs = parseInterval(query, range);
  const points = await ctx.store.transactionTimeseries(range, intervalMs);
  return { service: params.service, name: params.name, range: rangeInfo(range), intervalMs, points };
};

const distribution: QueryHandler = async (ctx, { params, query }) => {
  const range = { ...parseRange(query), service: params.service!, name: params.name! };
  const buckets = await ctx.store.transactionDistribution(range);
  return { service: params.service, name: params.name, range: rangeInfo(range), buckets };
};

const serviceTimeseries: QueryHandler = async (ctx, { params, query }) => {
  const range = { ...parseRange(query), service: params.service! };
  const intervalMs = parseInterval(query, range);
  const points = await ctx.store.serviceTimeseries(range, intervalMs);
  return { service: params.service, range: rangeInfo(range), intervalMs, points };
};

const serviceDistribution: QueryHandler = async (ctx, { params, query }) => {
  const range = { ...parseRange(query), service: params.service! };
  const buckets = await ctx.store.serviceDistribution(range);
  return { service: params.service, range: rangeInfo(range), buckets };
};

const samples: QueryHandler = async (ctx, { params, query }) => {
  const minMs = optionalMs(query, 'minMs');
  const maxMs = optionalMs(query, 'maxMs');
  if (minMs !== undefined && maxMs !== undefined && minMs >= maxMs) throw new ParamError(`minMs (${minMs}) must be below maxMs (${maxMs})`);
  const range = { ...parseRange(query), service: params.service!, name: params.name!, minMs, maxMs };
  const limit = integer(query, 'limit', 20, 1, 100);
  const items = await ctx.store.transactionSamples(range, limit);
  return { service: params.service, name: params.name, range: rangeInfo(range), minMs: minMs ?? null, maxMs: maxMs ?? null, items };
};

const traces: QueryHandler = async (ctx, { query }) => {
  const range = parseRange(query);
  const page = parsePage(query);
  const items = await ctx.store.slowestTransactions(range, page);
  return { range: rangeInfo(range), items, page: pageInfo(page, items.length) };
};

const trace: QueryHandler = async (ctx, { params }) => ctx.store.trace(requireId(params.traceId!, 'trace id'));

const errorGroups: QueryHandler = async (ctx, { query }) => listWithCounts(query, (range, page, intervalMs) => ctx.store.errorGroups(range, page, intervalMs));

const errorTimeseries: QueryHandler = async (ctx, { params, query }) => {
  const groupId = requireId(params.groupId!, 'error group id');
  const range = parseRange(query);
  const intervalMs = parseInterval(query, range);
  const points = await ctx.store.errorTimeseries(groupId, range, intervalMs);
  return points === null ? null : { groupId, range: rangeInfo(range), intervalMs, points };
};

const errorGroup: QueryHandler = async (ctx, { params, query }) =>
  ctx.store.errorGroup(requireId(params.groupId!, 'error group id'), detailRange(query));

const metrics: QueryHandler = async (ctx, { query }) => {
  const range = { ...parseRange(query), name: query.get('name') || undefined };
  const page = parsePage(query, 1000, 10_000);
  // Without an interval every sample; with one, their average per interval.
  const intervalMs = query.has('interval') ? parseInterval(query, range) : undefined;
  const items = await ctx.store.metricSeries(range, page, intervalMs);
  return { range: rangeInfo(range), ...(intervalMs === undefined ? {} : { intervalMs }), items, page: pageInfo(page, items.length) };
};

/** The query API, v1. docs/api.md documents each route; keep the two in step. */
export const QUERY_ROUTES: ReadonlyArray<readonly [string, QueryHandler]> = [
  ['/api/v1/services', services],
  ['/api/v1/services/:service/timeseries', serviceTimeseries],
  ['/api/v1/services/:service/distribution', serviceDistribution],
  ['/api/v1/services/:service/transactions', transactionGroups],
  ['/api/v1/services/:service/transactions/:name/timeseries', timeseries],
  ['/api/v1/services/:service/transactions/:name/distribution', distribution],
  ['/api/v1/services/:service/transactions/:name/samples', samples],
  ['/api/v1/traces', traces],
  ['/api/v1/traces/:traceId', trace],
  ['/api/v1/errors', errorGroups],
  ['/api/v1/errors/:groupId', errorGroup],
  ['/api/v1/errors/:groupId/timeseries', errorTimeseries],
  ['/api/v1/metrics', metrics],
  ['/api/v1/anomalies', anomalies],
];
