/**
 * A batch: encoded ndjson lines on their way to the intake, with the attempts made so
 * far. The gzipped body is kept between retries and rebuilt only when the lines change
 * (a partial acceptance, a split after 413).
 */
export class Batch {
  lines: string[];
  /** UTF-8 bytes of `lines`, without the metadata line. */
  bytes: number;
  attempts = 0;
  body: Buffer | null = null;
  bodyUncompressedBytes = 0;

  constructor(lines: string[], bytes: number) {
    this.lines = lines;
    this.bytes = bytes;
  }

  get count(): number {
    return this.lines.length;
  }

  /** Forgets the first `n` lines (the server took them) and the body built from them. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    const gone = this.lines.slice(0, n);
    this.lines = this.lines.slice(n);
    for (const line of gone) this.bytes -= Buffer.byteLength(line);
    this.body = null;
  }

  /** Keeps the first half and returns the second as a new batch, for a server that said 413. */
  splitHalf(): Batch {
    const half = Math.ceil(this.lines.length / 2);
    const rest = new Batch(this.lines.slice(half), 0);
    for (const line of rest.lines) rest.bytes += Buffer.byteLength(line);
    this.lines = this.lines.slice(0, half);
    this.bytes -= rest.bytes;
    this.body = null;
    return rest;
  }
}

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
