/**
 * Gzipped request bodies from one long-lived deflate stream: a body is what the stream puts
 * out up to a Z_FINISH, after which the stream is reset for the next body (a new gzip member).
 *
 * `zlib.gzip()` per batch made, for every batch, a Transform stream with its objects, a
 * deflate state (~256 KB of native memory), 16 KB output buffers and their concatenated
 * copy, plus a joined copy of the lines. All of it lived through the POST, so it was
 * promoted and waited for a full GC (bench/RESULTS.md: arrayBuffers 14.5 MB against 0.2
 * without the agent). Here the pieces are written as they are, and the body stays in the
 * chunks zlib made: slices of its output buffer, which zlib never writes again once handed out.
 */
import { constants, createGzip, type Gzip, type ZlibReset } from 'node:zlib';

/**
 * Level 1: on intake batches (repetitive JSON, random ids) it costs a seventh of the default
 * level's CPU for about 8% more bytes (bench/overhead: 1.2 vs 8.8 µs per transaction). A
 * worker thread would only move that CPU, not remove it.
 */
const LEVEL = 1;
/** zlib's output buffer; a batch's body (tens of KB) is then one or two chunks. */
const CHUNK_BYTES = 64 * 1024;

export type BodyCallback = (err: Error | null, body: Buffer[] | null) => void;

export class GzipBodies {
  #stream: Gzip | null = null;
  #chunks: Buffer[] = [];
  /** The body being made; null when none is. */
  #done: BodyCallback | null = null;
  /** The current stream's Z_FINISH write callback. */
  #onFinished: (err?: Error | null) => void = () => {};

  /**
   * Compresses `parts`, one after the other, into one gzip body; `done` runs once, later.
   * One body at a time: a call while one is being made is answered with an error.
   */
  compress(parts: readonly Buffer[], done: BodyCallback): void {
    if (this.#done !== null) {
      process.nextTick(done, new Error('a body is already being compressed'), null);
      return;
    }
    const stream = this.#stream ?? this.#open();
    this.#done = done;
    for (const part of parts) stream.write(part);
    stream.flush(constants.Z_FINISH, this.#onFinished);
  }

  /** Abandons a body being made (its callback does not run) and frees the deflate state. */
  destroy(): void {
    this.#done = null;
    this.#chunks = [];
    const stream = this.#stream;
    this.#stream = null;
    stream?.destroy();
  }

  #open(): Gzip {
    const stream = createGzip({ level: LEVEL, chunkSize: CHUNK_BYTES });
    // Made once per stream. A destroyed stream still calls back (its pending writes fail),
    // and must not answer the body a newer stream is making.
    stream.on('data', (chunk: Buffer) => {
      if (this.#stream === stream) this.#chunks.push(chunk);
    });
    stream.on('error', (err: Error) => {
      if (this.#stream === stream) this.#fail(err);
    });
    this.#onFinished = (err?: Error | null): void => {
      if (this.#stream !== stream) return;
      if (err) return this.#fail(err);
      const done = this.#done;
      const body = this.#chunks;
      this.#chunks = [];
      this.#done = null;
      // The next body starts a new gzip member with its own header. (Node's Gzip has reset(),
      // deflateReset, like Deflate; @types/node leaves it out.)
      (stream as Gzip & ZlibReset).reset();
      done?.(null, body);
    };
    this.#stream = stream;
    return stream;
  }

  #fail(err: Error): void {
    const done = this.#done;
    // A stream that failed is not used again; the next body gets a new one.
    this.destroy();
    done?.(err, null);
  }
}
