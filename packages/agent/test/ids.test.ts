/** Trace and span ids: W3C's lowercase hex of the right length, never repeated, across refills of the random pool. */
import { describe, expect, it } from 'vitest';
import { newSpanId, newTraceId } from '../src/trace/ids.js';

describe('ids', () => {
  it('are lowercase hex of 16 (span) and 32 (trace) characters, none repeated over several refills of the pool', () => {
    const seen = new Set<string>();
    // 8 KB of random bytes a refill: 3000 of each is ~9 refills.
    for (let i = 0; i < 3000; i++) {
      const span = newSpanId();
      const trace = newTraceId();
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      seen.add(span).add(trace);
    }
    expect(seen.size).toBe(6000);
  });
});
