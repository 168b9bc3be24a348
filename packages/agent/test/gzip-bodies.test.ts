/** GzipBodies: gzip request bodies from one long-lived deflate stream, reset between bodies. */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GzipBodies } from '../src/transport/gzip-bodies.js';

function compress(bodies: GzipBodies, parts: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => bodies.compress(parts, (err, body) => (body === null ? reject(err) : resolve(body))));
}

/** ndjson-like lines with random ids, `n` of them. */
function lines(n: number, tag: string): Buffer {
  let text = '';
  for (let i = 0; i < n; i++) text += `{"transaction":{"id":"${randomBytes(8).toString('hex')}","name":"GET /${tag}","n":${i}}}\n`;
  return Buffer.from(text);
}

describe('GzipBodies', () => {
  it('makes each body a whole gzip member of its parts, and keeps earlier bodies intact while later ones are made', async () => {
    const bodies = new GzipBodies();
    const inputs: Buffer[][] = [
      [Buffer.from('{"metadata":{}}\n'), lines(10, 'a')],
      // Larger than zlib's 64 KB output buffer even compressed: several chunks.
      [Buffer.from('{"metadata":{}}\n'), randomBytes(200_000)],
      [Buffer.from('{"metadata":{}}\n'), Buffer.alloc(0)],
      [lines(2000, 'b')],
    ];
    const made: Buffer[][] = [];
    for (const parts of inputs) made.push(await compress(bodies, parts));
    expect(made[1]!.length).toBeGreaterThan(1);
    made.forEach((body, i) => {
      const bytes = Buffer.concat(body);
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(gunzipSync(bytes)).toEqual(Buffer.concat(inputs[i]!));
    });
    bodies.destroy();
  });

  it('answers a second body asked for while one is being made with an error, and finishes the first', async () => {
    const bodies = new GzipBodies();
    const first = compress(bodies, [lines(100, 'first')]);
    await expect(compress(bodies, [lines(1, 'second')])).rejects.toThrow(/already being compressed/);
    expect(gunzipSync(Buffer.concat(await first)).toString()).toContain('GET /first');
    bodies.destroy();
  });

  it('after destroy() mid-body, never answers that body, and makes the next one on a new stream', async () => {
    const bodies = new GzipBodies();
    let answered = false;
    bodies.compress([lines(500, 'lost')], () => (answered = true));
    bodies.destroy();
    const next = await compress(bodies, [lines(3, 'next')]);
    expect(gunzipSync(Buffer.concat(next)).toString()).toMatch(/^\{"transaction".*GET \/next/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    bodies.destroy();
  });
});
