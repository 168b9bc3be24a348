import type { ResolvedOptions } from '../config.js';
import type { Store } from '../store/store.js';
import type { WriteQueue } from '../store/write-queue.js';
import type { Authorizer } from './auth.js';
import type { CollectorMetrics } from './metrics.js';

/** What every route handler can reach; one per running collector. */
export interface CollectorContext {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly queue: WriteQueue;
  readonly metrics: CollectorMetrics;
  /** null when no secret token or API key is configured. */
  readonly authorize: Authorizer | null;
  readonly startedAtMs: number;
  closing: boolean;
}
