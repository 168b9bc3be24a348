import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';

/** A request body that cannot be read; carries the status and message to answer with. */
export class BodyError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
  }
}

/**
 * Decompressed bytes per chunk: each chunk is one round trip to the thread pool and one step
 * of line reading, so 64 KB (zlib's default is 16 KB) takes a ~1 MB agent batch in 16 steps.
 */
const INFLATE_CHUNK_BYTES = 64 * 1024;

function decompressorFor(req: IncomingMessage): Transform | null {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return null;
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
  if (encoding === 'deflate') return createInflate({ chunkSize: INFLATE_CHUNK_BYTES });
  throw new BodyError(415, `unsupported Content-Encoding: '${encoding}' (use gzip, deflate or none)`);
}

/**
 * Yields the decompressed body chunk by chunk, never more than maxBytes in total: a
 * decompression bomb is cut off after maxBytes of output, having used one zlib window of
 * memory. Stopping early leaves the rest of the raw body unread; the caller answers and
 * then drains or drops the connection.
 */
export async function* requestBody(req: IncomingMessage, maxBytes: number, idleTimeoutMs = 0): AsyncGenerator<Buffer> {
  const decompressor = decompressorFor(req);
  // A client that stops sending mid-body (slowloris) would hold its socket and this request forever.
  const onIdle = () => {
    if (!req.complete) req.destroy(new BodyError(408, `request body timed out: no data for ${idleTimeoutMs} ms`));
  };
  if (idleTimeoutMs > 0 && !req.complete) req.setTimeout(idleTimeoutMs, onIdle);
  let source: AsyncIterable<Buffer> = req;
  if (decompressor !== null) {
    req.pipe(decompressor);
    // pipe() does not pass on a client that hangs up mid-body; without this the read waits forever.
    const onClose = () => {
      if (!req.complete) decompressor.destroy(new Error('client closed the connection before the body ended'));
    };
    req.once('close', onClose);
    req.once('error', onClose);
    source = decompressor;
  }
  let totalBytes = 0;
  try {
    for await (const chunk of source) {
      totalBytes += chunk.length;
      if (totalBytes > maxBytes) {
        throw new BodyError(413, `request body too large: more than ${maxBytes} bytes after decompression`);
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    if (req.errored instanceof BodyError) throw req.errored;
    throw new BodyError(400, `data decoding error: ${(error as Error).message}`);
  } finally {
    if (idleTimeoutMs > 0) {
      req.off('timeout', onIdle);
      // Waiting for the database afterwards is not the client's idleness.
      if (!req.destroyed) req.setTimeout(0);
    }
    if (decompressor !== null) {
      req.unpipe(decompressor);
      decompressor.destroy();
    }
  }
}

/** Reads a whole (bounded) body into one buffer, for formats such as OTLP JSON that need it. */
export async function readWholeBody(req: IncomingMessage, maxBytes: number, idleTimeoutMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of requestBody(req, maxBytes, idleTimeoutMs)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
