import { describe, expect, it } from 'vitest';
import {
  formatTraceParent,
  formatTraceState,
  parseTraceParent,
  parseTraceState,
  sampleRateFromTraceState,
} from '../src/trace/traceparent.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

describe('W3C traceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceParent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true, flags: 1 });
    expect(parseTraceParent(`00-${TRACE}-${PARENT}-00`)?.sampled).toBe(false);
  });

  it('reads the sampled bit only, keeping unknown flags', () => {
    const p = parseTraceParent(`00-${TRACE}-${PARENT}-09`);
    expect(p?.sampled).toBe(true);
    expect(p?.flags).toBe(9);
    expect(parseTraceParent(`00-${TRACE}-${PARENT}-fe`)?.sampled).toBe(false);
  });

  it('tolerates surrounding whitespace', () => {
    expect(parseTraceParent(`  00-${TRACE}-${PARENT}-01 `)?.traceId).toBe(TRACE);
  });

  it.each([
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['upper-case trace id', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['upper-case parent id', `00-${TRACE}-${PARENT.toUpperCase()}-01`],
    ['upper-case version', `0A-${TRACE}-${PARENT}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['extra field on version 00', `00-${TRACE}-${PARENT}-01-extra`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['non-hex', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ['wrong separators', `00_${TRACE}_${PARENT}_01`],
    ['bad flags', `00-${TRACE}-${PARENT}-0x`],
    ['empty', ''],
    ['repeated header', [`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`]],
    ['future version with garbage after the prefix', `cc-${TRACE}-${PARENT}-01x`],
  ])('ignores %s', (_name, header) => {
    expect(parseTraceParent(header as string)).toBeNull();
  });

  it('parses the known prefix of a future version', () => {
    expect(parseTraceParent(`cc-${TRACE}-${PARENT}-01`)?.traceId).toBe(TRACE);
    expect(parseTraceParent(`cc-${TRACE}-${PARENT}-01-what-the-future-holds`)).toEqual({
      traceId: TRACE,
      parentId: PARENT,
      sampled: true,
      flags: 1,
    });
  });

  it('formats a header that parses back', () => {
    const header = formatTraceParent(TRACE, PARENT, true);
    expect(header).toBe(`00-${TRACE}-${PARENT}-01`);
    expect(parseTraceParent(header)?.parentId).toBe(PARENT);
    expect(formatTraceParent(TRACE, PARENT, false)).toMatch(/-00$/);
  });
});

describe('W3C tracestate', () => {
  it('keeps list members in order', () => {
    expect(parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toEqual([
      ['rojo', '00f067aa0ba902b7'],
      ['congo', 't61rcWkgMzE'],
    ]);
  });

  it('joins repeated headers and skips empty members', () => {
    expect(parseTraceState(['a=1', 'b=2, ,c=3'])).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('accepts multi-tenant keys', () => {
    expect(parseTraceState('tenant@vendor=x')).toEqual([['tenant@vendor', 'x']]);
  });

  it.each([
    ['a key with upper case', 'Rojo=1'],
    ['a member without =', 'rojo'],
    ['a value with a comma-equals', 'a=b=c'],
    ['a duplicate key', 'a=1,a=2'],
    ['more than 32 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
  ])('treats %s as invalid', (_name, header) => {
    expect(parseTraceState(header)).toBeNull();
  });

  it('writes our sample rate first and keeps the other vendors', () => {
    const members = parseTraceState('es=s:0.1,rojo=1');
    expect(formatTraceState(members, 0.5)).toBe('es=s:0.5,rojo=1');
    expect(formatTraceState(null, 1)).toBe('es=s:1');
    expect(formatTraceState(members, null)).toBe('es=s:0.1,rojo=1');
  });

  it('writes the rate of each call when transactions with different rates alternate', () => {
    expect([1, 0.25, 0.25, 1, 0.5].map((rate) => formatTraceState(null, rate))).toEqual(['es=s:1', 'es=s:0.25', 'es=s:0.25', 'es=s:1', 'es=s:0.5']);
    expect(formatTraceState(null, null)).toBe('');
    expect(formatTraceState(parseTraceState('rojo=1'), 0.25)).toBe('es=s:0.25,rojo=1');
    expect(formatTraceState(null, 0.25)).toBe('es=s:0.25');
  });

  it('reads an upstream sample rate', () => {
    expect(sampleRateFromTraceState(parseTraceState('es=s:0.25'))).toBe(0.25);
    expect(sampleRateFromTraceState(parseTraceState('rojo=1'))).toBeNull();
  });
});
