/**
 * One ndjson line per event: `{"<kind>":<event>}\n`. JSON.stringify runs here, at batch
 * time and off the request path, so a transaction's toJSON() reads its request and
 * response once, after they finished.
 */
import type { EventKind } from '../trace/sink.js';

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
