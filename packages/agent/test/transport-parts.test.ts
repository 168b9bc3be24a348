/** The transport's parts: the ring, the backoff, the metadata against the published schema, and that its own requests go untraced. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { type Active, currentActive, isTracingSuppressed, runWithActive } from '../src/trace/context.js';
import { backoffDelayMs, parseRetryAfterMs } from '../src/transport/backoff.js';
import { encodeLine } from '../src/transport/encode.js';
import { buildMetadata } from '../src/transport/metadata.js';
import { Ring } from '../src/transport/ring.js';
import { IntakeServer } from './helpers/intake-server.js';
import { captureLog, makeTransport } from './helpers/transport-fixtures.js';

const SPEC_DIR = process.env.SIGHTLINE_SPEC_DIR
  ? resolve(process.env.SIGHTLINE_SPEC_DIR)
  : fileURLToPath(new URL('../../../../shared/spec', import.meta.url));

describe('Ring', () => {
  it('is first in, first out across the wrap-around, and refuses when full', () => {
    const ring = new Ring(3);
    expect(ring.push('span', { n: 1 })).toBe(true);
    expect(ring.push('span', { n: 2 })).toBe(true);
    ring.shift();
    expect(ring.push('error', { n: 3 })).toBe(true);
    expect(ring.push('transaction', { n: 4 })).toBe(true);
    expect(ring.push('span', { n: 5 })).toBe(false);
    const out: unknown[] = [];
    while (ring.size > 0) {
      out.push([ring.peekKind(), ring.peekEvent()]);
      ring.shift();
    }
    expect(out).toEqual([['span', { n: 2 }], ['error', { n: 3 }], ['transaction', { n: 4 }]]);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter between half and all of the delay, up to the cap', () => {
    expect(backoffDelayMs(0, 500, 30_000)).toBe(0);
    expect(backoffDelayMs(1, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelayMs(1, 500, 30_000, () => 1)).toBe(500);
    expect(backoffDelayMs(3, 500, 30_000, () => 1)).toBe(2000);
    expect(backoffDelayMs(50, 500, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelayMs(50, 500, 30_000, () => 0)).toBe(15_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('3')).toBe(3000);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfterMs('soon')).toBeNull();
    expect(parseRetryAfterMs(undefined)).toBeNull();
  });
});

describe('encodeLine', () => {
  it('wraps the event under its kind, one line', () => {
    expect(encodeLine('span', { id: 'a', name: 'x\ny' })).toBe('{"span":{"id":"a","name":"x\\ny"}}\n');
  });

  it('returns the error instead of throwing for what JSON cannot hold', () => {
    expect(encodeLine('span', { n: 1n })).toBeInstanceOf(Error);
    expect(encodeLine('span', { toJSON: () => 'a string' })).toBeInstanceOf(Error);
  });
});

describe('metadata', () => {
  const ajv = new Ajv({ strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(resolve(SPEC_DIR, 'elastic-intake-v2/schema/metadata.json'), 'utf8')));

  it('passes the published intake v2 metadata schema, with and without the optional parts', () => {
    const bare = readConfig({ serviceName: 'shop-api' }, {});
    const full = readConfig(
      { serviceName: 'shop-api', serviceVersion: '2.0.0', serviceNodeName: 'pod-1', environment: 'production', globalLabels: 'a=1,b=x' },
      {},
    );
    for (const config of [bare, full]) {
      const metadata = buildMetadata(config, '0.1.0');
      expect(validate(JSON.parse(JSON.stringify(metadata))), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(buildMetadata(full, '0.1.0').labels).toEqual({ ...full.globalLabels });
    expect(Object.keys(full.globalLabels)).toEqual(['a', 'b']);
    expect(buildMetadata(bare, '0.1.0')).not.toHaveProperty('labels');
  });
});

describe('the transport never traces itself', () => {
  let server: IntakeServer | null = null;
  afterEach(async () => {
    await server?.close();
  });

  it('creates its requests with tracing suppressed', async () => {
    captureLog();
    server = new IntakeServer();
    const url = await server.start();
    const seen: boolean[] = [];
    const onStart = (): void => {
      seen.push(isTracingSuppressed());
    };
    subscribe('http.client.request.start', onStart);
    try {
      const t = makeTransport({ serverUrl: url });
      t.send('span', { id: 'a' });
      await t.close(2000);
    } finally {
      unsubscribe('http.client.request.start', onStart);
    }
    expect(server.events).toHaveLength(1);
    expect(seen).toEqual([true]);
  });

  it('starts an upload with tracing suppressed when the event was sent inside a traced request', async () => {
    captureLog();
    server = new IntakeServer();
    const url = await server.start();
    const seen: Array<[boolean, unknown]> = [];
    const onStart = (): void => {
      seen.push([isTracingSuppressed(), currentActive()]);
    };
    subscribe('http.client.request.start', onStart);
    try {
      // The batch's flush timer is armed by this send, in the app's context.
      const t = makeTransport({ serverUrl: url, flushIntervalMs: 20 });
      const appTransaction = { id: 'app' } as unknown as Active;
      runWithActive(appTransaction, () => t.send('span', { id: 'a' }));
      await server.waitForEvents(1, 3000);
      await t.close(2000);
    } finally {
      unsubscribe('http.client.request.start', onStart);
    }
    expect(seen).toEqual([[true, null]]);
  });
});
