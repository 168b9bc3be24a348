/**
 * The synchronous snapshot of a thrown value in the intake `exception` shape: its properties
 * are read once, now, because the app may change or reuse the object after we return.
 */
import { parseStack, type StackFrame } from './stack.js';
import { constructorName, cut, describeValue, isErrorLike, safeGet, safeHas } from './safe.js';

export interface ExceptionShape {
  message: string;
  type: string;
  code?: string;
  handled?: boolean;
  stacktrace?: StackFrame[];
  cause?: ExceptionShape[];
  attributes?: { fingerprint: string };
}

/** How deep `error.cause` chains are followed. */
export const MAX_CAUSE_DEPTH = 5;
const MAX_MESSAGE = 10_000;
const MAX_CODE = 1024;
export const NON_ERROR_TYPE = 'NonError';

export interface SnapshotOptions {
  frameLimit: number;
  cwd: string | null;
}

/** An Error (or error-like object) as an exception, with its cause chain. */
export function errorToException(err: object, opts: SnapshotOptions): ExceptionShape {
  return snapshot(err, opts, 0, new Set());
}

/** Anything that is not an Error: a thrown number, null, a plain object. */
export function valueToException(value: unknown): ExceptionShape {
  return { message: describeValue(value), type: NON_ERROR_TYPE };
}

function snapshot(err: object, opts: SnapshotOptions, depth: number, seen: Set<object>): ExceptionShape {
  seen.add(err);
  const name = safeGet(err, 'name');
  const message = safeGet(err, 'message');
  const stack = safeGet(err, 'stack');
  const code = safeGet(err, 'code');
  const out: ExceptionShape = {
    message: typeof message === 'string' ? cut(message, MAX_MESSAGE) : message === undefined ? '' : describeValue(message),
    type: errorType(err, name),
  };
  if (typeof code === 'string' && code !== '') out.code = cut(code, MAX_CODE);
  else if (typeof code === 'number' && Number.isFinite(code)) out.code = String(code);
  if (typeof stack === 'string' && opts.frameLimit > 0) {
    const frames = parseStack(stack, opts.frameLimit, opts.cwd);
    if (frames.length > 0) out.stacktrace = frames;
  }
  if (depth < MAX_CAUSE_DEPTH && safeHas(err, 'cause')) {
    const cause = safeGet(err, 'cause');
    if (cause !== undefined && !(typeof cause === 'object' && cause !== null && seen.has(cause))) {
      out.cause = [isErrorLike(cause) ? snapshot(cause, opts, depth + 1, seen) : valueToException(cause)];
    }
  }
  return out;
}

/**
 * `err.name`, unless it is the `Error` inherited from Error.prototype while the class is a
 * subclass that never set its name: then the class name says more (`class DbError extends Error`).
 */
function errorType(err: object, name: unknown): string {
  const ctor = constructorName(err);
  if (typeof name === 'string' && name !== '') {
    return name === 'Error' && ctor !== null ? cut(ctor, MAX_CODE) : cut(name, MAX_CODE);
  }
  return ctor ?? 'Error';
}

/** Every frame list in the exception and its causes, for the asynchronous pass. */
export function allFrameLists(exc: ExceptionShape, out: StackFrame[][] = []): StackFrame[][] {
  if (exc.stacktrace !== undefined) out.push(exc.stacktrace);
  if (exc.cause !== undefined) for (const c of exc.cause) allFrameLists(c, out);
  return out;
}
