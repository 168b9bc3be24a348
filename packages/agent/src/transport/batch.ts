/**
 * A batch: encoded ndjson lines on their way to the intake, with the attempts made so
 * far. The lines are UTF-8 in one buffer (outside the JS heap, so a batch filling up for a
 * second holds no strings the GC must copy and promote), with the offset where each ends.
 * The gzipped body is kept between retries and rebuilt only when the lines change (a
 * partial acceptance, a split after 413). Once the batch is settled, its buffer and its
 * array of line ends go back to the LineBuffer for the next batch (see `store`).
 */
export class Batch {
  /** The lines, one after the other, each ending in a newline. */
  data: Buffer;
  /** Where each line ends in `data`. */
  ends: Uint32Array;
  attempts = 0;
  /** The gzipped body, in the chunks zlib made. */
  body: readonly Buffer[] | null = null;
  bodyUncompressedBytes = 0;
  /**
   * The whole buffer `data` was cut from, to reuse once the batch is settled; null when it
   * must not be reused (split batches share it).
   */
  store: Buffer | null;

  constructor(data: Buffer, ends: Uint32Array, store: Buffer | null = null) {
    this.data = data;
    this.ends = ends;
    this.store = store;
  }

  get count(): number {
    return this.ends.length;
  }

  /** UTF-8 bytes of the lines, without the metadata line. */
  get bytes(): number {
    return this.data.length;
  }

  /** Forgets the first `n` lines (the server took them) and the body built from them. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    const cut = n >= this.ends.length ? this.data.length : this.ends[n - 1]!;
    this.data = this.data.subarray(cut);
    this.ends = this.ends.subarray(n).map((end) => end - cut);
    this.body = null;
  }

  /** Keeps the first half and returns the second as a new batch, for a server that said 413. */
  splitHalf(): Batch {
    const half = Math.ceil(this.ends.length / 2);
    const cut = this.ends[half - 1]!;
    const rest = new Batch(
      this.data.subarray(cut),
      this.ends.subarray(half).map((end) => end - cut),
    );
    this.data = this.data.subarray(0, cut);
    this.ends = this.ends.subarray(0, half);
    this.body = null;
    this.store = null;
    return rest;
  }
}

/**
 * The open batch's lines as they are encoded: written into a buffer that doubles when a
 * line does not fit (from 64 KiB up to what maxBatchBytes needs). The buffer of a batch that
 * was settled comes back (`recycle`) and the next batch starts in it: under steady load one
 * buffer of the batch's size is reused instead of a 64 KiB … 1 MiB series of new ones per
 * batch, which as external memory is freed only when a full GC runs (RSS grew by tens of MB).
 * The line ends are kept the same way, in a typed array: a growing JS array of them lived
 * through each batch and was promoted (~16 KB a batch of 1000 lines).
 */
export class LineBuffer {
  private data: Buffer | null = null;
  private used = 0;
  private ends: Uint32Array = NO_ENDS;
  private count_ = 0;
  private spare: Buffer | null = null;
  private spareEnds: Uint32Array | null = null;

  get count(): number {
    return this.count_;
  }

  get bytes(): number {
    return this.used;
  }

  add(line: string): void {
    let data = this.data;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: measure the line only when it may not fit.
    if (data === null || data.length - this.used < line.length * 3) {
      const need = this.used + Buffer.byteLength(line);
      if (data === null && this.spare !== null && this.spare.length >= need) {
        this.data = data = this.spare;
        this.spare = null;
      } else if (data === null || data.length < need) {
        let size = data === null ? MIN_BYTES : data.length * 2;
        while (size < need) size *= 2;
        const grown = Buffer.allocUnsafeSlow(size);
        if (data !== null) data.copy(grown, 0, 0, this.used);
        this.data = data = grown;
      }
    }
    this.used += data.write(line, this.used);
    if (this.count_ === this.ends.length) this.growEnds();
    this.ends[this.count_++] = this.used;
  }

  /** The lines so far as a batch, leaving this empty. */
  take(): Batch {
    const data = this.data === null ? Buffer.alloc(0) : this.data.subarray(0, this.used);
    const batch = new Batch(data, this.ends.subarray(0, this.count_), this.data);
    this.data = null;
    this.used = 0;
    this.ends = this.spareEnds ?? NO_ENDS;
    this.spareEnds = null;
    this.count_ = 0;
    return batch;
  }

  /**
   * A settled batch's buffers, kept for the next batch (the larger ones, if two are offered):
   * its `store`, and the whole array its line ends view (no other batch views it: a split's
   * second half gets a copy).
   */
  recycle(store: Buffer | null, ends: Uint32Array): void {
    if (store !== null && store.length <= MAX_SPARE_BYTES && (this.spare === null || store.length > this.spare.length)) this.spare = store;
    const whole = new Uint32Array(ends.buffer);
    if (whole.length > (this.spareEnds?.length ?? 0)) this.spareEnds = whole;
  }

  clear(): void {
    this.data = null;
    this.used = 0;
    this.ends = NO_ENDS;
    this.count_ = 0;
    this.spare = null;
    this.spareEnds = null;
  }

  private growEnds(): void {
    const spare = this.spareEnds;
    const grown = spare !== null && spare.length > this.count_ ? spare : new Uint32Array(Math.max(MIN_ENDS, this.count_ * 2));
    if (spare === grown) this.spareEnds = null;
    grown.set(this.ends.subarray(0, this.count_));
    this.ends = grown;
  }
}

const NO_ENDS = new Uint32Array(0);
/** Line ends a batch starts with room for. */
const MIN_ENDS = 256;

/** A larger buffer (a huge maxBatchBytes) is not kept between batches. */
const MAX_SPARE_BYTES = 8 * 1024 * 1024;

const MIN_BYTES = 64 * 1024;

/**
 * How many events the server says it took, from an intake answer such as
 * `{"accepted":3,"errors":[…]}`; 0 when the body does not say.
 */
export function acceptedFromBody(body: string, max: number): number {
  if (body === '') return 0;
  try {
    const parsed = JSON.parse(body) as { accepted?: unknown };
    const n = parsed.accepted;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? Math.min(n, max) : 0;
  } catch {
    return 0;
  }
}

/** The server's own words for a log line: the first error message, else the body, shortened. */
export function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ message?: unknown }>; error?: unknown };
    const first = parsed.errors?.[0]?.message ?? parsed.error;
    if (typeof first === 'string') return first.slice(0, 500);
  } catch {
    // Not JSON (a proxy's HTML page): show the start of it.
  }
  return body.trim().slice(0, 200);
}
