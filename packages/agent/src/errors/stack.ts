/**
 * V8 stack strings parsed into intake stack frames. The string is what every error carries
 * (an Error's structured call sites are only reachable through Error.prepareStackTrace, which
 * belongs to the app and to tools like source-map-support), so we parse it, once per capture.
 */
import { isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StackFrame {
  function: string | null;
  /** Relative to the working directory for files inside it; otherwise as abs_path. */
  filename: string;
  abs_path: string;
  lineno?: number;
  colno?: number;
  library_frame: boolean;
  /** The npm package a node_modules frame belongs to. */
  module?: string;
  pre_context?: string[];
  context_line?: string;
  post_context?: string[];
}

const FRAME_LINE = /^\s+at (.+)$/;
const LINE_COL = /^(.*):(\d+):(\d+)$/;
const LINE_ONLY = /^(.*):(\d+)$/;
/** The innermost `(file:line:col)` of an eval location: where the eval was called from. */
const EVAL_ORIGIN = /\(([^()]+):(\d+):(\d+)\)/;
const NODE_MODULES = `${sep}node_modules${sep}`;
const NO_FILE = '<anonymous>';

/** The working directory, or null when it has been deleted under the process. */
export function safeCwd(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/** Frames of `stack`, top first, at most `limit`. Lines that are not frames are skipped. */
export function parseStack(stack: string, limit: number, cwd: string | null): StackFrame[] {
  const frames: StackFrame[] = [];
  let start = 0;
  while (frames.length < limit && start < stack.length) {
    let end = stack.indexOf('\n', start);
    if (end === -1) end = stack.length;
    const m = FRAME_LINE.exec(stack.slice(start, end));
    start = end + 1;
    if (m !== null) frames.push(parseFrame(m[1]!.trimEnd(), cwd));
  }
  return frames;
}

/** One frame from the text after `at `: `fn (location)`, or a bare location. */
export function parseFrame(text: string, cwd: string | null): StackFrame {
  let fn: string | null = null;
  let location = text;
  if (text.endsWith(')')) {
    const open = matchingParen(text);
    if (open > 0) {
      fn = text.slice(0, open).trim();
      location = text.slice(open + 1, -1);
    }
  }
  if (fn !== null && fn.startsWith('async ')) fn = fn.slice(6);
  if (fn === null && location.startsWith('async ')) location = location.slice(6);
  if (location.startsWith('eval at ')) {
    const origin = EVAL_ORIGIN.exec(location);
    location = origin === null ? NO_FILE : `${origin[1]}:${origin[2]}:${origin[3]}`;
  }
  return frameAt(fn === '' ? null : fn, location, cwd);
}

/** The index of the `(` that opens the location, allowing parentheses inside file names. */
function matchingParen(text: string): number {
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 41 /* ) */) depth++;
    else if (c === 40 /* ( */ && --depth === 0) return i;
  }
  return -1;
}

function frameAt(fn: string | null, location: string, cwd: string | null): StackFrame {
  let file = location;
  let lineno: number | undefined;
  let colno: number | undefined;
  const m = LINE_COL.exec(location) ?? LINE_ONLY.exec(location);
  if (m !== null) {
    file = m[1]!;
    lineno = Number(m[2]);
    if (m[3] !== undefined) colno = Number(m[3]);
  }
  if (file.startsWith('file://')) file = urlToPath(file);
  const frame = fileFrame(fn, file, cwd);
  if (lineno !== undefined) frame.lineno = lineno;
  if (colno !== undefined) frame.colno = colno;
  return frame;
}

function urlToPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

/** A frame for `absPath` with filename, library_frame and module derived from the path. */
export function fileFrame(fn: string | null, absPath: string, cwd: string | null): StackFrame {
  const internal = isInternal(absPath);
  const frame: StackFrame = {
    function: fn,
    filename: internal ? absPath : relativeName(absPath, cwd),
    abs_path: absPath,
    library_frame: internal || absPath.includes(NODE_MODULES) || !isAbsolute(absPath),
  };
  const pkg = internal ? null : packageName(absPath);
  if (pkg !== null) frame.module = pkg;
  return frame;
}

/** node: built-ins, older Node's `internal/…` paths, and call sites without a file. */
export function isInternal(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal/') || file === NO_FILE || file === 'native' || file.startsWith('index ');
}

/** Whether we can look at the file on disk. */
export function isReadable(frame: StackFrame): boolean {
  return !isInternal(frame.abs_path) && isAbsolute(frame.abs_path);
}

function relativeName(absPath: string, cwd: string | null): string {
  if (cwd !== null && absPath.length > cwd.length && absPath.startsWith(cwd) && absPath[cwd.length] === sep) {
    return absPath.slice(cwd.length + 1);
  }
  return absPath;
}

function packageName(absPath: string): string | null {
  const at = absPath.lastIndexOf(NODE_MODULES);
  if (at === -1) return null;
  const parts = absPath.slice(at + NODE_MODULES.length).split(sep);
  if (parts.length < 2) return null;
  return parts[0]!.startsWith('@') && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The frame an error is blamed on: the first frame in the app's code, else the top frame. */
export function topAppFrame(frames: readonly StackFrame[] | undefined): StackFrame | null {
  if (frames === undefined || frames.length === 0) return null;
  for (let i = 0; i < frames.length; i++) if (!frames[i]!.library_frame) return frames[i]!;
  return frames[0]!;
}
