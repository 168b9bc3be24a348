import { createHash } from 'node:crypto';

// Order matters: uuids and hex ids before bare numbers, or their digits would be split up.
// Ids and numbers share one placeholder: "user 42" and "user 0x1f" are the same mistake.
const NORMALISERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/"[^"]*"|'[^']*'|`[^`]*`/g, '<s>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<n>'],
  [/\b0x[0-9a-f]+\b/gi, '<n>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<n>'],
  [/-?\d+(?:\.\d+)?/g, '<n>'],
];

/**
 * Strips what varies between occurrences of one mistake (ids, counts, quoted values), so
 * "user 42 not found" and "user 7 not found" land in one group.
 */
export function normaliseMessage(message: string): string {
  let normalised = message;
  for (const [pattern, replacement] of NORMALISERS) normalised = normalised.replace(pattern, replacement);
  return normalised.trim();
}

/** The error group id: per service, exception type + culprit + normalised message. */
export function errorFingerprint(service: string, type: string, culprit: string, message: string): string {
  return createHash('sha256')
    .update(`${service}\0${type}\0${culprit}\0${normaliseMessage(message)}`)
    .digest('hex')
    .slice(0, 32);
}
