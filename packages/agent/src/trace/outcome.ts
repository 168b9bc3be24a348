export type Outcome = 'success' | 'failure' | 'unknown';

export function isOutcome(v: unknown): v is Outcome {
  return v === 'success' || v === 'failure' || v === 'unknown';
}
