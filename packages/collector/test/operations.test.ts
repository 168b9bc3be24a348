import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, startCollector } from '../src/index.js';
import { getJson, postIntake, startTestCollector, testdata, type TestCollector } from './helpers.js';

function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector();
    await postIntake(collector.url, testdata('errors.ndjson'));
    await postIntake(collector.url, testdata('invalid-event.ndjson'));
    await postIntake(collector.url, testdata('invalid-event-type.ndjson'));
    await collector.flush();
  });
  afterAll(async () => collector.close());

  it('counts events accepted and rejected by type, queue depth and write latency, in Prometheus text format', async () => {
    const response = await fetch(`${collector.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(metricValue(text, 'sightline_intake_events_accepted_total{type="error"}')).toBe(5);
    expect(metricValue(text, 'sightline_intake_events_accepted_total{type="span"}')).toBe(1);
    expect(metricValue(text, 'sightline_intake_events_rejected_total{type="transaction",reason="invalid"}')).toBe(1);
    expect(metricValue(text, 'sightline_intake_events_rejected_total{type="unknown",reason="invalid"}')).toBe(1);
    expect(metricValue(text, 'sightline_write_queue_depth')).toBe(0);
    expect(metricValue(text, 'sightline_store_events_written_total')).toBe(6);
    expect(metricValue(text, 'sightline_store_write_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'sightline_http_requests_total{route="intake",status="202"}')).toBe(1);
    expect(text).toContain('# TYPE sightline_store_write_duration_seconds histogram');
  });
});

describe('retention', () => {
  it('deletes events older than --retention when the collector starts, and counts them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sightline-retention-'));
    const db = join(dir, 'r.db');
    try {
      // errors.ndjson's 5 errors are from 2017-2019, as are one span and one metricset of
      // minimal.ndjson; its other events carry no timestamp and so are stamped on arrival.
      const seeding = await startCollector({ port: 0, db });
      await postIntake(seeding.url, testdata('errors.ndjson'));
      await postIntake(seeding.url, testdata('minimal.ndjson'));
      await seeding.close();

      const collector = await startCollector({ port: 0, db, retention: '7d' });
      let deleted: number | undefined;
      for (let i = 0; i < 50 && !deleted; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        deleted = metricValue(await (await fetch(`${collector.url}/metrics`)).text(), 'sightline_retention_deleted_total');
      }
      expect(deleted).toBe(7);
      const groups = await getJson(`${collector.url}/api/v1/errors?from=0&to=${Date.now() + 60_000}&limit=100`);
      expect(groups.body.items.reduce((sum: number, g: any) => sum + g.count, 0)).toBe(3);
      await collector.close();
      const store = await openStore(db);
      expect(await store.trace('0123456789abcdef0123456789abcdef')).not.toBeNull();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
