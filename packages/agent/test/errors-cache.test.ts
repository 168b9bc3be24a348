import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Lru } from '../src/errors/lru.js';
import { SourceFiles } from '../src/errors/source-files.js';

const TMP = mkdtempSync(join(tmpdir(), 'sightline-cache-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('Lru', () => {
  test('evicts the least recently used entry past its count', () => {
    const lru = new Lru<number>(2, 1000);
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3, 1);
    expect(lru.has('b')).toBe(false);
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
  });

  test('evicts past its total weight, and never holds an entry heavier than the limit', () => {
    const lru = new Lru<string>(100, 10);
    lru.set('a', 'x', 6);
    lru.set('b', 'y', 6);
    expect(lru.has('a')).toBe(false);
    expect(lru.weight).toBe(6);
    lru.set('huge', 'z', 11);
    expect(lru.has('huge')).toBe(false);
    expect(lru.size).toBe(1);
    lru.set('b', 'y2', 2);
    expect(lru.weight).toBe(2);
  });
});

describe('SourceFiles', () => {
  test('reads a file once, keeps it, and remembers files that cannot be read', async () => {
    const path = join(TMP, 'a.js');
    writeFileSync(path, 'one\r\ntwo\nthree');
    const files = new SourceFiles({ maxFiles: 10, maxBytes: 1000, maxFileBytes: 100, concurrency: 2 });
    const [first, same] = await Promise.all([files.lines(path), files.lines(path)]);
    expect(first).toEqual(['one', 'two', 'three']);
    expect(same).toBe(first);
    writeFileSync(path, 'changed');
    expect(await files.lines(path)).toBe(first);
    expect(await files.lines(join(TMP, 'missing.js'))).toBeNull();
    expect(await files.lines(TMP)).toBeNull(); // a directory
  });

  test('skips files larger than maxFileBytes and stays within its byte budget', async () => {
    const big = join(TMP, 'big.js');
    writeFileSync(big, 'x'.repeat(500));
    const files = new SourceFiles({ maxFiles: 10, maxBytes: 250, maxFileBytes: 400, concurrency: 1 });
    expect(await files.lines(big)).toBeNull();
    const paths = [0, 1, 2, 3].map((i) => {
      const p = join(TMP, `f${i}.js`);
      writeFileSync(p, String(i).repeat(100));
      return p;
    });
    const all = await Promise.all(paths.map((p) => files.lines(p)));
    expect(all.map((l) => l![0]!.length)).toEqual([100, 100, 100, 100]);
    // 250 bytes hold two 100-byte files: the first ones were evicted and are read again.
    writeFileSync(paths[0]!, 'new');
    expect(await files.lines(paths[0]!)).toEqual(['new']);
  });
});
