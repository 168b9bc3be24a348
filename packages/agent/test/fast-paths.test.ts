/**
 * The request and encoding paths read some values without the general tool (String() of a
 * double, a RegExp match): each shortcut must give exactly what the general tool gives, for
 * ordinary values and for the edges where the two could part.
 */
import { describe, expect, it } from 'vitest';
import { hostNameEnd } from '../src/http/request-context.js';
import { jsonMillis3, jsonNumber, jsonTimestamp } from '../src/trace/json.js';

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** A seeded generator, so a failure names values that can be tried again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('numbers in event JSON', () => {
  it('jsonTimestamp writes what JSON.stringify writes', () => {
    const edges = [0, -0, 1, 2 ** 30 - 1, 2 ** 30, 999_999_999, 1e9, 1e9 + 1, 1_796_319_463_814_000, 1_796_319_000_000_000, 1_796_319_463_000_001, 2 ** 53 - 1, 2 ** 53, 2 ** 60, -5, 1.5, 1e21, NaN, Infinity, -Infinity];
    for (const n of edges) expect(jsonTimestamp(n), String(n)).toBe(JSON.stringify(n));
    const next = random(9);
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(next() * 2 ** 21) * 1e9 + Math.floor(next() * 1e9);
      expect(jsonTimestamp(n), String(n)).toBe(JSON.stringify(n));
    }
  });

  it('jsonMillis3 writes what JSON.stringify writes of round3', () => {
    const edges = [0, -0, 0.0004, 0.0005, 0.0004999, 0.001, 0.01, 0.1, 0.25, 1, 10.5, 24.957, 100.1, 999.999, 1000, 123456.789, 999_999_999.999, 1e9, 1e12, -1, -0.0004, NaN, Infinity];
    for (const ms of edges) expect(jsonMillis3(ms), String(ms)).toBe(jsonNumber(round3(ms)));
    const next = random(3);
    for (let i = 0; i < 20_000; i++) {
      const ms = next() * 10 ** Math.floor(next() * 9);
      expect(jsonMillis3(ms), String(ms)).toBe(jsonNumber(round3(ms)));
    }
  });
});

describe('the Host header', () => {
  // What RequestRecord matched before: the host name, then an optional `:port`.
  const HOST = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/;

  it('splits where the RegExp did, and fails where it failed', () => {
    const hosts = [
      'localhost', 'localhost:3000', '127.0.0.1:38577', 'shop.example:8080', '[::1]', '[::1]:3000', '[::1]x', '[::1]:', '[::1]:3a',
      '[', '[]', '[]:80', '[a', '[a]b', '[a]b:1', '[a:b]:1', 'a:b:c', 'host:', 'host:12a', ':80', '', ' ', 'a b:1', 'h\u00e9:1', 'h:\u0661',
      'x:0000', 'UPPER:443',
    ];
    for (const host of hosts) {
      const m = HOST.exec(host);
      const end = hostNameEnd(host);
      if (m === null) expect(end, host).toBe(-1);
      else {
        expect(host.slice(0, end), host).toBe(m[1]);
        expect(end === host.length ? undefined : host.slice(end + 1), host).toBe(m[2]);
      }
    }
  });
});
