/**
 * The slow half of an error's frames, done after capture: source maps applied (so a frame in
 * dist/app.js becomes src/app.ts at the .ts line), then the lines around each frame read.
 */
import { fileFrame, isReadable, type StackFrame } from './stack.js';
import type { SourceFiles } from './source-files.js';
import type { SourceMaps } from './source-map.js';

export interface FrameEnricherOptions {
  /** Lines before and after the frame's line, for app frames; 0 for none. */
  appLines: number;
  libraryLines: number;
}

const MAX_LINE = 1000;
/** Files that are already the original source: nothing to map. */
const ORIGINAL_SOURCE = /\.(?:[cm]?ts|tsx)$/;

export class FrameEnricher {
  constructor(
    private readonly files: SourceFiles,
    private readonly maps: SourceMaps,
    private readonly opts: FrameEnricherOptions,
  ) {}

  /** Maps and adds context lines to each frame, in place; a frame that fails stays as it was. */
  async enrich(frames: StackFrame[], cwd: string | null): Promise<void> {
    for (let i = 0; i < frames.length; i++) {
      try {
        frames[i] = await this.enrichOne(frames[i]!, cwd);
      } catch {
        // One unreadable or odd frame must not cost the others their context.
      }
    }
  }

  private async enrichOne(frame: StackFrame, cwd: string | null): Promise<StackFrame> {
    if (!isReadable(frame)) return frame;
    // Library files are not even opened unless their lines were asked for: node_modules
    // bundles can be large, and their maps often point at sources that were not published.
    if (frame.library_frame && this.opts.libraryLines === 0) return frame;
    let out = frame;
    let lines: string[] | null = null;
    if (frame.lineno !== undefined && !ORIGINAL_SOURCE.test(frame.abs_path) && !nodeMapsStacks()) {
      const pos = await this.maps.map(frame.abs_path, frame.lineno, frame.colno ?? 1);
      if (pos !== null) {
        out = fileFrame(frame.function, pos.absPath, cwd);
        out.lineno = pos.lineno;
        out.colno = pos.colno;
        lines = pos.sourceLines;
      }
    }
    const n = out.library_frame ? this.opts.libraryLines : this.opts.appLines;
    if (n === 0 || out.lineno === undefined) return out;
    if (lines === null) lines = await this.files.lines(out.abs_path);
    if (lines !== null) addContext(out, lines, out.lineno, n);
    return out;
  }
}

/**
 * With `--enable-source-maps` (or process.setSourceMapsEnabled) Node has mapped the stack
 * already: its frames are the original positions, and mapping them again would be wrong.
 */
function nodeMapsStacks(): boolean {
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

function addContext(frame: StackFrame, lines: string[], lineno: number, n: number): void {
  const at = lineno - 1;
  if (at < 0 || at >= lines.length) return;
  frame.pre_context = lines.slice(Math.max(0, at - n), at).map(cutLine);
  frame.context_line = cutAround(lines[at]!, frame.colno ?? 1);
  frame.post_context = lines.slice(at + 1, at + 1 + n).map(cutLine);
}

function cutLine(line: string): string {
  return line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
}

/** A long (minified) line is cut to the part around the column that threw. */
function cutAround(line: string, colno: number): string {
  if (line.length <= MAX_LINE) return line;
  const start = Math.max(0, Math.min(colno - 1 - MAX_LINE / 2, line.length - MAX_LINE));
  return line.slice(start, start + MAX_LINE);
}
