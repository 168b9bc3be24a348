/** Where finished events go: the transport, which serialises them in batches. */
export type EventKind = 'transaction' | 'span' | 'error' | 'metricset';

export interface EventSink {
  /** Takes the event (serialised later via JSON.stringify); returns false when it was dropped. */
  send(kind: EventKind, event: object): boolean;
}

/** Used while the agent is inactive: drops everything, counts nothing. */
export const NULL_SINK: EventSink = { send: () => false };
