/**
 * Random span and trace ids. Ids come from a pool of random bytes refilled in bulk and
 * turned into hex once per refill, so an id costs a substring of that string, not a call
 * into the crypto module or into Buffer's hex encoder per id.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let hex = '';
/** Read position in `hex`, in characters. */
let offset = 2 * POOL_BYTES;

function take(chars: number): string {
  if (offset + chars > hex.length) {
    randomFillSync(pool);
    hex = pool.toString('hex');
    offset = 0;
  }
  const start = offset;
  offset += chars;
  const id = hex.slice(start, offset);
  // An all-zero id is invalid in W3C trace context; the odds are 2^-64, but be exact.
  return id === ZERO_SPAN || id === ZERO_TRACE ? take(chars) : id;
}

const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = '00000000000000000000000000000000';

/** 16 lowercase hex characters. */
export function newSpanId(): string {
  return take(16);
}

/** 32 lowercase hex characters. */
export function newTraceId(): string {
  return take(32);
}
