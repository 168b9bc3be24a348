/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing `traceparent` and
 * `tracestate` exactly as the spec says, and formatting them for outgoing calls.
 */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly sampled: boolean;
  /** The full flags byte, kept so unknown flags can be passed on. */
  readonly flags: number;
}

const HEX = /^[0-9a-f]+$/;

function isLowerHex(s: string, length: number): boolean {
  return s.length === length && HEX.test(s) && !/^0+$/.test(s);
}

/**
 * Returns null for anything the spec says to ignore: a malformed header, version `ff`,
 * upper-case hex, all-zero ids, or extra fields on version 00. A future version is parsed
 * by its version-00 prefix, provided any extra part starts with a dash.
 */
export function parseTraceParent(header: string | string[] | undefined | null): TraceParent | null {
  if (Array.isArray(header)) {
    // Repeated traceparent headers are ambiguous; the spec says to treat them as invalid.
    if (header.length !== 1) return null;
    header = header[0];
  }
  if (typeof header !== 'string') return null;
  const value = header.trim();
  if (value.length < 55) return null;
  const version = value.slice(0, 2);
  if (!/^[0-9a-f]{2}$/.test(version) || version === 'ff') return null;
  if (version === '00' && value.length !== 55) return null;
  if (version !== '00' && value.length > 55 && value[55] !== '-') return null;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return null;
  const traceId = value.slice(3, 35);
  const parentId = value.slice(36, 52);
  const flagsHex = value.slice(53, 55);
  if (!isLowerHex(traceId, 32) || !isLowerHex(parentId, 16)) return null;
  if (!/^[0-9a-f]{2}$/.test(flagsHex)) return null;
  const flags = parseInt(flagsHex, 16);
  return { traceId, parentId, sampled: (flags & 1) === 1, flags };
}

export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const KEY = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_MEMBERS = 32;

/**
 * Parses `tracestate` into its list members, in order. Invalid members make the whole
 * header invalid (returns null), as the spec allows; duplicates keep the first.
 */
export function parseTraceState(header: string | string[] | undefined | null): Array<[string, string]> | null {
  if (header === undefined || header === null) return null;
  const joined = Array.isArray(header) ? header.join(',') : header;
  const members: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const raw of joined.split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return null;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value)) return null;
    if (seen.has(key)) return null;
    seen.add(key);
    members.push([key, value]);
  }
  if (members.length > MAX_MEMBERS) return null;
  return members;
}

/** The last tracestate written for a transaction without members of its own (`es=s:1`), by rate. */
let lastRate: number | null = null;
let lastRateState = '';

/** Puts our `es` member first (Elastic agents read the sample rate from it) and keeps the rest. */
export function formatTraceState(members: ReadonlyArray<readonly [string, string]> | null, sampleRate: number | null): string {
  if (members === null) {
    // Every outgoing call of every transaction of a service asks this with the same rate.
    if (sampleRate === null) return '';
    if (sampleRate !== lastRate) {
      lastRateState = `es=s:${formatRate(sampleRate)}`;
      lastRate = sampleRate;
    }
    return lastRateState;
  }
  const parts: string[] = [];
  if (sampleRate !== null) parts.push(`es=s:${formatRate(sampleRate)}`);
  for (const [k, v] of members) {
    if (k === 'es' && sampleRate !== null) continue;
    if (parts.length >= MAX_MEMBERS) break;
    parts.push(`${k}=${v}`);
  }
  return parts.join(',');
}

function formatRate(rate: number): string {
  return String(Math.round(rate * 10_000) / 10_000);
}

/** The sample rate an Elastic-compatible upstream put in `tracestate` (`es=s:0.5`), if any. */
export function sampleRateFromTraceState(members: ReadonlyArray<readonly [string, string]> | null): number | null {
  if (members === null) return null;
  for (const [k, v] of members) {
    if (k !== 'es') continue;
    for (const part of v.split(';')) {
      if (part.startsWith('s:')) {
        const n = Number(part.slice(2));
        return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
      }
    }
  }
  return null;
}
