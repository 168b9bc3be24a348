import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    // Stored strings come from agents: a browser must never sniff a JSON answer as HTML.
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(payload);
}

/** The query API's error shape: `{ "error": { "status", "message" } }`. */
export function sendApiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { status, message } });
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** How long a client may go on uploading a body the server has already answered. */
const DISCARD_GRACE_MS = 5_000;

/**
 * Before answering a request whose body was not read to the end (too large, bad metadata, full queue), the rest
 * of the upload is discarded without decompressing, and the connection closed, so the
 * client still gets to read the answer instead of a reset mid-upload.
 */
export function discardRest(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  if (!res.headersSent) res.setHeader('connection', 'close');
  req.resume();
  setTimeout(() => req.destroy(), DISCARD_GRACE_MS).unref();
}
