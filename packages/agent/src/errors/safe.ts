/**
 * Reading values the application throws. A thrown value can be anything: a Proxy whose traps
 * throw, an object whose getters throw, a cycle, a BigInt. Every read here is guarded, so
 * capturing an error can never raise a second one into the app.
 */
import { isNativeError } from 'node:util/types';

const MAX_DESCRIPTION = 1000;

/** `obj[key]`, or undefined when the read throws. */
export function safeGet(obj: object, key: PropertyKey): unknown {
  try {
    return (obj as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

export function safeHas(obj: object, key: PropertyKey): boolean {
  try {
    return key in obj;
  } catch {
    return false;
  }
}

/** Errors from any realm (vm contexts, workers' structured clones) and subclasses. */
export function isErrorLike(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  try {
    if (isNativeError(value) || value instanceof Error) return true;
  } catch {
    // A Proxy whose getPrototypeOf trap throws.
  }
  return typeof safeGet(value, 'stack') === 'string' && typeof safeGet(value, 'message') === 'string';
}

/** The name of the value's class, e.g. `ValidationError`, or null. */
export function constructorName(value: object): string | null {
  try {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    const name = proto?.constructor?.name;
    return typeof name === 'string' && name !== '' ? name : null;
  } catch {
    return null;
  }
}

export function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s;
}

/** A short, printable description of any value; never throws. */
export function describeValue(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return cut(value, MAX_DESCRIPTION);
      case 'undefined':
        return 'undefined';
      case 'function':
        return `[Function ${(value as { name?: string }).name || 'anonymous'}]`;
      case 'object':
        if (value === null) return 'null';
        return describeObject(value);
      default:
        return String(value);
    }
  } catch {
    return '[unprintable value]';
  }
}

function describeObject(value: object): string {
  try {
    const json = JSON.stringify(value);
    if (typeof json === 'string') return cut(json, MAX_DESCRIPTION);
  } catch {
    // Cycles, BigInts, a throwing toJSON: fall back to the tag.
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return '[object]';
  }
}

/**
 * A copy of a user's `custom` object that JSON.stringify can always encode: the transport
 * serialises a whole batch at once, and one circular object must not lose the others.
 */
export function jsonSafe(value: unknown): Record<string, unknown> | null {
  if (value === null || typeof value !== 'object') return null;
  try {
    const json = JSON.stringify(value);
    if (typeof json !== 'string') return null;
    const copy = JSON.parse(json) as unknown;
    return Array.isArray(copy) ? { value: copy } : (copy as Record<string, unknown>);
  } catch {
    return { unserializable: describeValue(value) };
  }
}
