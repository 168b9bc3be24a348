/** The transport's own counters, readable through the public API. */
export interface TransportStats {
  /** Events accepted and not yet sent or given up: in the queue, the open batch or the request in flight. */
  queued: number;
  /** Events ever enqueued. */
  accepted: number;
  /** Events the server accepted (2xx, or counted as accepted in a partial answer). */
  sent: number;
  /** All drops: droppedQueueFull + droppedFailed + droppedUnserializable + droppedClosed. */
  dropped: number;
  /** Refused by send() because the queue held maxQueueSize events. */
  droppedQueueFull: number;
  /** Given up after the last retry, or rejected by the server (4xx). */
  droppedFailed: number;
  /** Dropped alone because JSON.stringify threw on them (a circular reference, a BigInt, …). */
  droppedUnserializable: number;
  /** Refused after close(), or still unsent when close() gave up waiting. */
  droppedClosed: number;
  /** Requests that failed: network errors, timeouts, non-2xx answers. */
  failedRequests: number;
  /** Requests that repeated an earlier failed one. */
  retries: number;
  /** Requests started, retries included. */
  requests: number;
  /** Compressed bytes written, retries included. */
  bytesSent: number;
  /** The same requests before gzip. */
  bytesUncompressed: number;
  /** The last failure, for humans ("HTTP 503: queue is full", "connect ECONNREFUSED …"). */
  lastError: string | null;
}

export function newTransportStats(): TransportStats {
  return {
    queued: 0,
    accepted: 0,
    sent: 0,
    dropped: 0,
    droppedQueueFull: 0,
    droppedFailed: 0,
    droppedUnserializable: 0,
    droppedClosed: 0,
    failedRequests: 0,
    retries: 0,
    requests: 0,
    bytesSent: 0,
    bytesUncompressed: 0,
    lastError: null,
  };
}
