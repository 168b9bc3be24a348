/** What the demo apps' /upstream route does: one call to the upstream, its answer passed on. */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
}

const SKUS = ['tea-123', 'mug-7', 'pot-42', 'kettle-9', 'cup-88'];

export async function callUpstream(baseUrl: string): Promise<UpstreamAnswer> {
  const sku = SKUS[Math.floor(Math.random() * SKUS.length)]!;
  const res = await fetch(`${baseUrl}/inventory/${sku}`, { signal: AbortSignal.timeout(5_000) });
  const body: unknown = await res.json().catch(() => null);
  return { status: res.status, body };
}
