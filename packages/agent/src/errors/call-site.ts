/**
 * The stack at the point the app called captureError, for values that carry no stack of
 * their own (a string, a thrown number). The agent's own frames on top are dropped: the user
 * wants to see their call, not ours.
 */
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStack, type StackFrame } from './stack.js';

// This file is <agent>/dist/errors/call-site.js (or src/errors/call-site.ts under test).
const AGENT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT_DIRS = [`${AGENT_ROOT}${sep}dist${sep}`, `${AGENT_ROOT}${sep}src${sep}`];
/** Room for the agent's own frames above the app's. */
const OWN_FRAMES = 16;

function isAgentFrame(frame: StackFrame): boolean {
  return AGENT_DIRS.some((d) => frame.abs_path.startsWith(d));
}

export function callSiteFrames(limit: number, cwd: string | null): StackFrame[] {
  if (limit <= 0) return [];
  const holder: { stack?: unknown } = {};
  const saved = Error.stackTraceLimit;
  try {
    // Raised for this one capture and put back: the app's own setting is never changed.
    Error.stackTraceLimit = limit + OWN_FRAMES;
    Error.captureStackTrace(holder);
  } catch {
    return [];
  } finally {
    try {
      Error.stackTraceLimit = saved;
    } catch {
      // Made read-only by the app: then we never changed it either.
    }
  }
  const stack = holder.stack;
  if (typeof stack !== 'string') return [];
  const frames = parseStack(stack, limit + OWN_FRAMES, cwd);
  let skip = 0;
  while (skip < frames.length && isAgentFrame(frames[skip]!)) skip++;
  return frames.slice(skip, skip + limit);
}
