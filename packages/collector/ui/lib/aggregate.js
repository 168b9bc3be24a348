// The query API calls the pages share: transaction groups, and time series and latency
// distributions of a group or of a whole service (the collector answers both from rollups).

const enc = encodeURIComponent;

/** GET …/transactions for one service, every group (up to 1000). */
export async function fetchGroups(ctx, service) {
  const body = await ctx.api(`/services/${enc(service)}/transactions?${ctx.range.params}&limit=1000`);
  return body.items;
}

export function fetchTimeseries(ctx, service, name) {
  return ctx.api(`/services/${enc(service)}/transactions/${enc(name)}/timeseries?${ctx.range.params}`).then((b) => b.points);
}

export function fetchDistribution(ctx, service, name) {
  return ctx.api(`/services/${enc(service)}/transactions/${enc(name)}/distribution?${ctx.range.params}`).then((b) => b.buckets);
}

/** Service-wide time series: every transaction group together, p50/p95/p99 over all of them. */
export function fetchServiceTimeseries(ctx, service) {
  return ctx.api(`/services/${enc(service)}/timeseries?${ctx.range.params}`).then((b) => b.points);
}

/** Up to `limit` transactions of a group with a duration in [fromMs, toMs), most recent first. */
export function fetchSamples(ctx, service, name, fromMs, toMs, limit = 20) {
  return ctx.api(`/services/${enc(service)}/transactions/${enc(name)}/samples?${ctx.range.params}&minMs=${fromMs}&maxMs=${toMs}&limit=${limit}`)
    .then((b) => b.items);
}
