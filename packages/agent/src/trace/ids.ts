/**
 * Random span and trace ids, from a pool of random bytes refilled in bulk (one call into
 * the crypto module per 8 KB), each id hex-encoded on its own into a flat string.
 *
 * Not substrings of one hex string made per refill (~60 ns an id cheaper): an id of 13
 * characters or more cut from a string is a slice that keeps the whole 16 KB string alive,
 * and with ids of ~340 requests sharing one, every such string outlived two scavenges and
 * was promoted: 4.6 MB of old-space garbage in 8 s of 12k requests a second, the largest
 * source of the agent's promoted garbage (bench/RESULTS.md, 2026-12-06).
 */
import { randomFillSync } from '../node-builtins.js';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
/** Read position in `pool`, in bytes. */
let offset = POOL_BYTES;

function take(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  const id = pool.toString('hex', start, offset);
  // An all-zero id is invalid in W3C trace context; the odds are 2^-64, but be exact.
  return id === ZERO_SPAN || id === ZERO_TRACE ? take(bytes) : id;
}

const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = '00000000000000000000000000000000';

/** 16 lowercase hex characters. */
export function newSpanId(): string {
  return take(8);
}

/** 32 lowercase hex characters. */
export function newTraceId(): string {
  return take(16);
}
