/** The tracer's own counters, readable through the public API (`getStats()`). */
export interface TracerStats {
  transactionsStarted: number;
  transactionsSampled: number;
  transactionsUnsampled: number;
  spansStarted: number;
  /** Spans not recorded because their transaction reached `transactionMaxSpans`. */
  spansDroppedLimit: number;
  /** Exit spans not sent because they were shorter than `spanMinDurationMs`. */
  spansDroppedShort: number;
  /** Spans folded into a composite span. */
  spansCompressed: number;
  errorsCaptured: number;
}

export function newTracerStats(): TracerStats {
  return {
    transactionsStarted: 0,
    transactionsSampled: 0,
    transactionsUnsampled: 0,
    spansStarted: 0,
    spansDroppedLimit: 0,
    spansDroppedShort: 0,
    spansCompressed: 0,
    errorsCaptured: 0,
  };
}
