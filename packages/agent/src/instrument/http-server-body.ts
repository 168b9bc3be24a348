/**
 * A request body as events carry it (`captureBody`): what a framework parsed (an object, a
 * string, a Buffer), with secret fields redacted by `sanitizeFieldNames`, as a string cut
 * to `captureBodyMaxBytes`. Called once per captured body, never for bodies not captured.
 */
import { REDACTED, sanitizeQuery, type NameMatcher } from '../sanitize.js';

const MAX_DEPTH = 8;

function redact(value: unknown, isSecret: NameMatcher, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redact(v, isSecret, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    out[key] = isSecret(key) ? REDACTED : redact((value as Record<string, unknown>)[key], isSecret, depth + 1);
  }
  return out;
}

function cut(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 4 || Buffer.byteLength(text) <= maxBytes) return text;
  // A cut through a multi-byte character decodes to U+FFFD: harmless in a preview.
  return Buffer.from(text).subarray(0, maxBytes).toString('utf8');
}

export function requestBodyForEvent(
  body: unknown,
  contentType: string | undefined,
  maxBytes: number,
  isSecret: NameMatcher,
): string | undefined {
  try {
    if (body === undefined || body === null) return undefined;
    let text: string;
    let raw = true;
    if (typeof body === 'string') text = body;
    else if (body instanceof Uint8Array) text = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, maxBytes)).toString('utf8');
    else if (typeof body === 'object') {
      text = JSON.stringify(redact(body, isSecret, 0)) ?? '';
      raw = false;
    } else text = String(body);
    if (raw && typeof contentType === 'string' && contentType.includes('application/x-www-form-urlencoded')) {
      text = sanitizeQuery(text, isSecret);
    }
    return cut(text, maxBytes);
  } catch {
    // A body with cycles or throwing getters: better no body than a broken event.
    return undefined;
  }
}
