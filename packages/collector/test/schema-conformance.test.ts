import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { postIntake, startTestCollector } from './helpers.js';
import { specPath } from './spec-dir.js';

/**
 * The collector validates with its own compact schemas; this holds them to the published
 * intake v2 schemas: every line of testdata, and mutations of each, must get the same
 * verdict from both.
 */
const KINDS = ['metadata', 'transaction', 'span', 'error', 'metricset', 'log'] as const;
const ajv = new Ajv({ strict: false });
const official = Object.fromEntries(
  KINDS.map((kind) => [kind, ajv.compile(JSON.parse(readFileSync(specPath('elastic-intake-v2', 'schema', `${kind}.json`), 'utf8')))]),
);

function mutations(kind: string, event: Record<string, any>): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const key of Object.keys(event)) {
    const { [key]: _removed, ...without } = event;
    out.push(without);
    if (['id', 'trace_id', 'parent_id', 'name', 'type', 'duration', 'timestamp'].includes(key)) out.push({ ...event, [key]: true });
  }
  if (kind === 'metadata') out.push({ ...event, service: { ...event.service, name: 'bad/name' } });
  return out;
}

describe('intake schemas agree with the published intake v2 schemas', () => {
  it('on every testdata line and its mutations', async () => {
    const collector = await startTestCollector();
    try {
      const metadataLine = readFileSync(specPath('elastic-intake-v2', 'testdata', 'minimal.ndjson'), 'utf8').split('\n')[0];
      const cases: Array<{ line: string; expected: boolean }> = [];
      const dir = specPath('elastic-intake-v2', 'testdata');
      for (const file of readdirSync(dir)) {
        for (const line of readFileSync(`${dir}/${file}`, 'utf8').split('\n')) {
          let parsed: Record<string, any>;
          try {
            parsed = JSON.parse(line.replace(/`$/, ''));
          } catch {
            continue;
          }
          const [kind, event] = Object.entries(parsed)[0] ?? [];
          if (kind === undefined || !(kind in official) || kind === 'metadata' || typeof event !== 'object') continue;
          if (kind === 'log' && typeof event['@timestamp'] === 'string') continue;
          for (const variant of [event, ...mutations(kind, event)]) {
            cases.push({ line: JSON.stringify({ [kind]: variant }), expected: official[kind]!(variant) as boolean });
          }
        }
      }
      expect(cases.length).toBeGreaterThan(500);
      const disagreements: string[] = [];
      for (let i = 0; i < cases.length; i += 50) {
        const chunk = cases.slice(i, i + 50);
        const response = await postIntake(collector.url, [metadataLine, ...chunk.map((c) => c.line)].join('\n'));
        const rejected = new Set((response.body.errors ?? []).map((e: any) => e.document));
        for (const c of chunk) if (rejected.has(c.line) === c.expected) disagreements.push(`${c.expected ? 'rejected' : 'accepted'}: ${c.line.slice(0, 200)}`);
      }
      expect(disagreements).toEqual([]);
    } finally {
      await collector.close();
    }
  });
});
