/**
 * Transactions and spans are stored from the request line's own text when the line is a plain
 * `{"kind":{…}}` (intake/raw-event.ts). Whatever the line looks like, the stored document must
 * read back as the event with its timestamp and service, as re-serialising the parsed event
 * gives; for an agent's usual line it is that very text, byte for byte.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processElasticStream } from '../src/intake/elastic-stream.js';
import { parseJsonLine } from '../src/intake/json-line.js';
import { readLines } from '../src/intake/line-reader.js';
import { emptyBatch, type EventBatch } from '../src/model/event.js';

const SERVICE = { name: 'shop', environment: 'prod', agent: { name: 'nodejs', version: '1.0.0' } };
const METADATA = JSON.stringify({ metadata: { service: SERVICE } });
const TX = { id: 'a1b2c3d4e5f60718', trace_id: '0123456789abcdef0123456789abcdef', name: 'GET /', type: 'request', duration: 1.5, timestamp: 1_700_000_000_000_000, span_count: { started: 0 } };
const SPAN = { id: 'b1b2c3d4e5f60718', transaction_id: TX.id, parent_id: TX.id, trace_id: TX.trace_id, name: 'SELECT', type: 'db', duration: 0.5, timestamp: 1_700_000_000_000_100 };

async function* chunks(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

/** The documents stored for the body's transactions and spans, in order. */
async function storedDocs(lines: string[], metadata = METADATA): Promise<string[]> {
  const batch = emptyBatch();
  const offer = (b: EventBatch) => {
    batch.transactions.push(...b.transactions);
    batch.spans.push(...b.spans);
    return 'accepted' as const;
  };
  await processElasticStream(readLines(chunks([metadata, ...lines].join('\n')), 1 << 20), offer, 0);
  return [...batch.transactions, ...batch.spans].map((row) => row.doc);
}

/** What the stored document must read back as: the event, its timestamp, then the service. */
function expected(line: string, service: Record<string, unknown> = SERVICE): unknown {
  const parsed = parseJsonLine(line);
  if (!('value' in parsed)) throw new Error(parsed.error);
  const value = parsed.value as Record<string, any>;
  const event = value.transaction ?? value.span;
  return { ...event, timestamp: event.timestamp, service };
}

describe('stored documents of transactions and spans', () => {
  it('are the line’s own text with the service for an agent’s usual lines', async () => {
    const lines = [JSON.stringify({ transaction: TX }), JSON.stringify({ span: SPAN })];
    const docs = await storedDocs(lines);
    expect(docs).toEqual([JSON.stringify({ ...TX, service: SERVICE }), JSON.stringify({ ...SPAN, service: SERVICE })]);
  });

  it.each([
    ['whitespace inside the event', `{"transaction":{ "id" : "a1b2c3d4e5f60718", "trace_id":"${TX.trace_id}",\t"name":"GET /","type":"request","duration":1.50,"timestamp":1.7e15,"span_count":{"started":0} }}`],
    ['a duplicate key inside the event', `{"transaction":{"name":"first",${JSON.stringify(TX).slice(1, -1)},"name":"last"}}`],
    ['a duplicate event key', `{"transaction":{"name":"hidden"},"transaction":${JSON.stringify(TX)}}`],
    ['a duplicate event key spelt with an escape', `{"transaction":${JSON.stringify({ ...TX, name: 'hidden' })},"transactio\\u006e":${JSON.stringify(TX)}}`],
    ['a second member', `{"transaction":${JSON.stringify(TX)},"other":{"a":1}}`],
    ['stray bytes after the value', `{"transaction":${JSON.stringify(TX)}}}}`],
    ['spaces around the event', `{ "transaction" : ${JSON.stringify(TX)} }`],
    ['an escaped character', `{"transaction":${JSON.stringify({ ...TX, name: 'GET /caf\u00e9' }).replace('\u00e9', '\\u00e9')}}`],
    ['a service of its own at the top level', JSON.stringify({ transaction: { ...TX, service: { name: 'mine' } } })],
    ['no timestamp', JSON.stringify({ transaction: { ...TX, timestamp: undefined } })],
  ])('read back as the event with its service: %s', async (_, line) => {
    const [doc] = await storedDocs([line]);
    const want = expected(line) as Record<string, unknown>;
    if (want.timestamp === undefined) want.timestamp = 0;
    expect(JSON.parse(doc!)).toEqual(want);
  });

  it('merge an event’s own service and the request’s labels as before', async () => {
    const own = JSON.stringify({ transaction: { ...TX, context: { service: { name: 'other' }, tags: { a: 'x' } } } });
    const [doc] = await storedDocs([own]);
    expect(JSON.parse(doc!).service).toEqual({ ...SERVICE, name: 'other' });
    const labelled = JSON.stringify({ metadata: { service: SERVICE, labels: { region: 'eu', a: 'meta' } } });
    const [withLabels] = await storedDocs([own], labelled);
    expect(JSON.parse(withLabels!).labels).toEqual({ region: 'eu', a: 'x' });
  });

  it('read back as the event with its service for any event fields and spacing', async () => {
    const spacing = fc.constantFrom('', ' ', '\t', '\r');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), spacing, async (extra, space) => {
        const event = { ...TX, ...extra, id: TX.id, trace_id: TX.trace_id, type: 'request', duration: 1, timestamp: TX.timestamp, span_count: { started: 0 } };
        delete (event as Record<string, unknown>).service;
        delete (event as Record<string, unknown>).context;
        const line = `{"transaction":${JSON.stringify(event, null, space === '' ? undefined : space)}}`;
        const docs = await storedDocs([line]);
        if (docs.length === 0) return; // refused by the schema (a field of the wrong type): nothing stored
        expect(JSON.parse(docs[0]!)).toEqual(expected(line));
      }),
      { numRuns: 300, seed: 9 },
    );
  });
});
