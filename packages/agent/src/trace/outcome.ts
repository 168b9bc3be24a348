export type Outcome = 'success' | 'failure' | 'unknown';

export function isOutcome(v: unknown): v is Outcome {
  return v === 'success' || v === 'failure' || v === 'unknown';
}

/** What a transaction and a span share for their outcome. */
export interface HasOutcome {
  readonly ended: boolean;
  outcome: Outcome;
  outcomeSetByUser: boolean;
}

/** An outcome set by the user is kept; instrumentation sets it only when the user has not. */
export function applyOutcome(target: HasOutcome, outcome: Outcome, byUser: boolean): void {
  if (target.ended || !isOutcome(outcome)) return;
  if (!byUser && target.outcomeSetByUser) return;
  target.outcome = outcome;
  if (byUser) target.outcomeSetByUser = true;
}
