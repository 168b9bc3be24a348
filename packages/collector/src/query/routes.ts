import type { CollectorContext } from '../server/context.js';
import type { RangeFilter } from '../store/store.js';
import { pageInfo, parseInterval, parsePage, parseRange, ParamError, rangeInfo } from './params.js';

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

const services: QueryHandler = async (ctx, { query }) => {
  const range = parseRange(query);
  const page = parsePage(query);
  const items = await ctx.store.services(range, page);
  return { range: rangeInfo(range), items, page: pageInfo(page, items.length) };
};

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

const traces: QueryHandler = async (ctx, { query }) => {
  const range = parseRange(query);
  const page = parsePage(query);
  const items = await ctx.store.slowestTransactions(range, page);
  return { range: rangeInfo(range), items, page: pageInfo(page, items.length) };
};

const trace: QueryHandler = async (ctx, { params }) => ctx.store.trace(requireId(params.traceId!, 'trace id'));

const errorGroups: QueryHandler = async (ctx, { query }) => {
  const range = parseRange(query);
  const page = parsePage(query);
  const items = await ctx.store.errorGroups(range, page);
  return { range: rangeInfo(range), items, page: pageInfo(page, items.length) };
};

const errorGroup: QueryHandler = async (ctx, { params, query }) =>
  ctx.store.errorGroup(requireId(params.groupId!, 'error group id'), detailRange(query));

const metrics: QueryHandler = async (ctx, { query }) => {
  const range = { ...parseRange(query), name: query.get('name') || undefined };
  const page = parsePage(query, 1000, 10_000);
  const items = await ctx.store.metricSeries(range, page);
  return { range: rangeInfo(range), items, page: pageInfo(page, items.length) };
};

/** The query API, v1. docs/api.md documents each route; keep the two in step. */
export const QUERY_ROUTES: ReadonlyArray<readonly [string, QueryHandler]> = [
  ['/api/v1/services', services],
  ['/api/v1/services/:service/transactions', transactionGroups],
  ['/api/v1/services/:service/transactions/:name/timeseries', timeseries],
  ['/api/v1/services/:service/transactions/:name/distribution', distribution],
  ['/api/v1/traces', traces],
  ['/api/v1/traces/:traceId', trace],
  ['/api/v1/errors', errorGroups],
  ['/api/v1/errors/:groupId', errorGroup],
  ['/api/v1/metrics', metrics],
];
