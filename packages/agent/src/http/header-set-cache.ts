/**
 * The JSON of the last header object written, reused while the next ones hold the same
 * names with the same values in the same order (the same client or the same route's answer:
 * under load most requests repeat the previous one's headers). A hit is one walk over the
 * object comparing strings, instead of escaping and concatenating every header afresh, and
 * gives one flat string where a miss builds dozens of pieces that the batch buffer's write
 * must flatten. The output is a function of the names, the values, the secret matcher and
 * whether `cookie` is redacted, and all of them are compared: a hit can only give the text a
 * miss would have built.
 */
import type { NameMatcher } from '../sanitize.js';

/** Objects with more members are not remembered. */
const MAX_MEMBERS = 64;

/** Kept for a member written redacted: any value but undefined writes the same. */
const REDACTED_VALUE = Symbol('redacted');

export class HeaderSetCache {
  private readonly names: string[] = [];
  private readonly values: unknown[] = [];
  private isSecret: NameMatcher | null = null;
  private redactCookie = false;
  /** What was written for them (null: the object had no members), once `valid`. */
  private json: string | null = null;
  private valid = false;

  /** The remembered JSON if `headers` holds what the remembered object held, else undefined. */
  lookup(headers: Record<string, unknown>, isSecret: NameMatcher, redactCookie: boolean): string | null | undefined {
    if (!this.valid || this.isSecret !== isSecret || this.redactCookie !== redactCookie) return undefined;
    const names = this.names;
    const values = this.values;
    const n = names.length;
    let i = 0;
    for (const name in headers) {
      if (i === n || name !== names[i]) return undefined;
      const value = headers[name];
      const was = values[i];
      // A secret (a cookie, an authorization) differs from one request to the next, and is written the same.
      if (was === REDACTED_VALUE ? value === undefined : value !== was) return undefined;
      i++;
    }
    return i === n ? this.json : undefined;
  }

  /** Starts remembering a new object: call `member` for each of its members in order, then `done`. */
  begin(isSecret: NameMatcher, redactCookie: boolean): void {
    this.valid = false;
    this.isSecret = isSecret;
    this.redactCookie = redactCookie;
    this.names.length = 0;
    this.values.length = 0;
  }

  /**
   * A member as read by the writer, `redacted` when its value was written as such. Only
   * values compared by identity with what the writer wrote are kept (strings, numbers,
   * undefined): a list or an object could change in place.
   */
  member(name: string, value: unknown, redacted: boolean): void {
    const t = typeof value;
    if (redacted && value !== undefined) {
      this.names.push(name);
      this.values.push(REDACTED_VALUE);
    } else if (t === 'string' || t === 'number' || value === undefined) {
      this.names.push(name);
      this.values.push(value);
    } else {
      this.isSecret = null;
    }
  }

  done(json: string | null): void {
    if (this.isSecret === null || this.names.length > MAX_MEMBERS) return;
    this.json = json;
    this.valid = true;
  }
}
