/**
 * One ndjson line per event: `{"<kind>":<event>}\n`, written as the event is sent, or
 * when it leaves the queue. Transactions and spans are written by trace/event-json.ts (the
 * JSON of their toJSON(), without building it); other events go through JSON.stringify.
 */
import { spanJson, transactionJson } from '../trace/event-json.js';
import type { EventKind } from '../trace/sink.js';
import { Span } from '../trace/span.js';
import { Transaction } from '../trace/transaction.js';

const PREFIX: Readonly<Record<string, string | undefined>> = {
  transaction: '{"transaction":',
  span: '{"span":',
  error: '{"error":',
  metricset: '{"metricset":',
};

/**
 * The line for `event`, or the reason it cannot be serialised (a circular reference, a
 * BigInt, a getter or toJSON that throws, or a toJSON that returns nothing). Never throws.
 */
export function encodeLine(kind: EventKind, event: object): string | Error {
  const prefix = PREFIX[kind];
  if (prefix === undefined) return new Error(`unknown event kind ${JSON.stringify(kind)}`);
  let json: string | undefined;
  try {
    // The writers' text is an object: it is not looked into (reading a character of a string
    // built with `+` copies it into a flat string, and the batch buffer's write would again).
    if (event instanceof Transaction) return prefix + transactionJson(event) + '}\n';
    if (event instanceof Span) return prefix + spanJson(event) + '}\n';
    json = JSON.stringify(event);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  if (typeof json !== 'string' || json[0] !== '{') {
    return new Error(`serialises to ${json === undefined ? 'nothing' : 'a non-object'}`);
  }
  return prefix + json + '}\n';
}

export function encodeMetadataLine(metadata: object): string {
  return '{"metadata":' + JSON.stringify(metadata) + '}\n';
}
