/**
 * The grouping key of an error: the same fault thrown again, with another user id in its
 * message or after a deploy that moved its line, gets the same fingerprint. Line numbers are
 * left out on purpose; the exception type, the blamed function and file, and the message with
 * its variable parts replaced are kept.
 */
import { createHash } from '../node-builtins.js';
import type { StackFrame } from './stack.js';

const MAX_MESSAGE = 1000;

// Order matters: a UUID contains numbers and hex runs, a quoted string may contain anything.
const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  // Quotes count only at word edges, so the apostrophe in "can't" does not open a string.
  [/(?<!\w)"(?:[^"\\]|\\.)*"(?!\w)|(?<!\w)'(?:[^'\\]|\\.)*'(?!\w)|(?<!\w)`(?:[^`\\]|\\.)*`(?!\w)/g, '<str>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // Ids like Mongo ObjectIds and hashes: 8+ hex characters with at least one digit.
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '<hex>'],
  [/\d+(?:\.\d+)?/g, '<num>'],
  [/\s+/g, ' '],
];

export function normalizeMessage(message: string): string {
  let s = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) : message;
  for (const [re, placeholder] of REPLACEMENTS) s = s.replace(re, placeholder);
  return s.trim();
}

/** 32 hex characters (the first half of a SHA-1). */
export function fingerprint(type: string, frame: StackFrame | null, message: string): string {
  const h = createHash('sha1');
  h.update(type);
  h.update('\0');
  if (frame !== null) {
    h.update(frame.filename);
    h.update('\0');
    h.update(frame.function ?? '');
  }
  h.update('\0');
  h.update(normalizeMessage(message));
  return h.digest('hex').slice(0, 32);
}
