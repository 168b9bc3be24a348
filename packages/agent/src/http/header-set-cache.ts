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

/**
 * `headers[name]`, read outside the for-in on purpose. Inside it, V8 compiles the read as an
 * enum-cache load, which records no type feedback while its receivers hit the enum cache; in
 * agent processes the optimised code of lookup reached that load by its generic path, found
 * no feedback (the slot stayed UNINITIALIZED in %DebugPrint) and deoptimised, again and
 * again: 21 deopts and recompiles in 8 s of Fastify load (--trace-deopt), 0 with this. A plain
 * keyed load records its feedback, and is inlined.
 */
function memberOf(headers: Record<string, unknown>, name: string): unknown {
  return headers[name];
}

export class HeaderSetCache {
  private readonly names: string[] = [];
  private readonly values: unknown[] = [];
  /** Where each member's text ends in `json`. */
  private readonly ends: number[] = [];
  private isSecret: NameMatcher | null = null;
  private redactCookie = false;
  /** What was written for them (null: the object had no members), once `valid`. */
  private json: string | null = null;
  private valid = false;
  /**
   * After a lookup that missed: how many leading members the object shares with the
   * remembered one (a request from another client usually differs from the user-agent on).
   */
  matched = 0;

  /** The remembered JSON if `headers` holds what the remembered object held, else undefined. */
  lookup(headers: Record<string, unknown>, isSecret: NameMatcher, redactCookie: boolean): string | null | undefined {
    this.matched = 0;
    if (!this.valid || this.isSecret !== isSecret || this.redactCookie !== redactCookie) return undefined;
    const names = this.names;
    const values = this.values;
    const n = names.length;
    let i = 0;
    for (const name in headers) {
      if (i === n || name !== names[i]) {
        this.matched = i;
        return undefined;
      }
      const value = memberOf(headers, name);
      const was = values[i];
      // A secret (a cookie, an authorization) differs from one request to the next, and is written the same.
      if (was === REDACTED_VALUE ? value === undefined : value !== was) {
        this.matched = i;
        return undefined;
      }
      i++;
    }
    if (i === n) return this.json;
    this.matched = i;
    return undefined;
  }

  /**
   * The text of the `matched` leading members, from `{` (without a trailing comma): a writer
   * starts from it, skips those members and writes the rest. Call before `begin`.
   */
  prefix(): string {
    const json = this.json;
    const k = this.matched;
    return k === 0 || json === null ? '{' : json.slice(0, this.ends[k - 1]);
  }

  /**
   * Starts remembering a new object whose first `kept` members are the remembered ones (see
   * `matched`): call `member` for each of the others in order, then `done`.
   */
  begin(isSecret: NameMatcher, redactCookie: boolean, kept: number): void {
    this.valid = false;
    this.isSecret = isSecret;
    this.redactCookie = redactCookie;
    this.names.length = kept;
    this.values.length = kept;
    this.ends.length = kept;
  }

  /**
   * A member as read by the writer, `redacted` when its value was written as such. Only
   * values compared by identity with what the writer wrote are kept (strings, numbers,
   * undefined): a list or an object could change in place.
   */
  member(name: string, value: unknown, redacted: boolean, end: number): void {
    const t = typeof value;
    if (redacted && value !== undefined) {
      this.names.push(name);
      this.values.push(REDACTED_VALUE);
      this.ends.push(end);
    } else if (t === 'string' || t === 'number' || value === undefined) {
      this.names.push(name);
      this.values.push(value);
      this.ends.push(end);
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
