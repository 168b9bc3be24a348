/**
 * Random span and trace ids. Ids come from a pool of random bytes refilled in bulk, so an id
 * costs one slice of a buffer rather than a call into the crypto module.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
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
