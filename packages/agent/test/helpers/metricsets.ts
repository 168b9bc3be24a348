/** Reading the metricsets an intake server received. */
import type { IntakeServer } from './intake-server.js';

export interface ReceivedSample {
  type?: string;
  unit?: string;
  value?: number;
  values?: number[];
  counts?: number[];
}

export interface ReceivedMetricset {
  timestamp: number;
  tags?: Record<string, string>;
  transaction?: { name?: string; type?: string };
  span?: { type?: string; subtype?: string };
  samples: Record<string, ReceivedSample>;
}

export function metricsets(intake: IntakeServer): ReceivedMetricset[] {
  return intake.events.filter((e) => e.kind === 'metricset').map((e) => e.event as unknown as ReceivedMetricset);
}

/** The sum of a sample's values over every metricset that `match` accepts (deltas add up to the total). */
export function sumOf(sets: readonly ReceivedMetricset[], sample: string, match: (m: ReceivedMetricset) => boolean = () => true): number {
  let total = 0;
  for (const m of sets) if (match(m) && m.samples[sample]?.value !== undefined) total += m.samples[sample]!.value!;
  return total;
}

/** The last metricset carrying `sample` that `match` accepts. */
export function lastWith(sets: readonly ReceivedMetricset[], sample: string, match: (m: ReceivedMetricset) => boolean = () => true): ReceivedMetricset | undefined {
  for (let i = sets.length - 1; i >= 0; i--) if (sets[i]!.samples[sample] !== undefined && match(sets[i]!)) return sets[i];
  return undefined;
}

export function forTransaction(name: string, type = 'request'): (m: ReceivedMetricset) => boolean {
  return (m) => m.transaction?.name === name && m.transaction?.type === type && m.span === undefined;
}

/** Resolves once `done()` holds, checking every 20 ms; rejects after `timeoutMs`. */
export async function waitUntil(done: () => boolean, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited >= timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
