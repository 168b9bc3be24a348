import { truncate, type StyleName } from './style.js';

interface Frame {
  function?: string;
  filename?: string;
  abs_path?: string;
  classname?: string;
  module?: string;
  lineno?: number;
  colno?: number;
  library_frame?: boolean;
  pre_context?: string[];
  context_line?: string;
  post_context?: string[];
}

export interface FrameFormat {
  allFrames: boolean;
  style: (name: StyleName, text: string) => string;
  width: number;
}

function isLibrary(frame: Frame): boolean {
  if (typeof frame.library_frame === 'boolean') return frame.library_frame;
  const path = frame.abs_path ?? frame.filename ?? '';
  return path.includes('node_modules/') || path.startsWith('node:') || path.startsWith('internal/');
}

/** "express" for …/node_modules/express/lib/router.js, "@scope/pkg" for scoped packages, "node" for core. */
function libraryName(frame: Frame): string {
  const path = frame.abs_path ?? frame.filename ?? '';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (match) return match[1]!;
  return path.startsWith('node:') || path.startsWith('internal/') ? 'node' : path || 'library';
}

function location(frame: Frame): string {
  const file = frame.filename ?? frame.abs_path ?? frame.classname ?? '?';
  const line = frame.lineno !== undefined ? `:${frame.lineno}${frame.colno !== undefined ? `:${frame.colno}` : ''}` : '';
  return `${file}${line}`;
}

/**
 * Stack frames the way a developer reads them: the application's own frames with their
 * source lines (the failing line marked), runs of library frames folded into one line.
 */
export function formatFrames(frames: readonly Frame[], format: FrameFormat): string[] {
  const { style } = format;
  const lines: string[] = [];
  let folded: Frame[] = [];
  const flushFolded = () => {
    if (folded.length === 0) return;
    const names = [...new Set(folded.map(libraryName))].join(', ');
    lines.push(style('dim', `    … ${folded.length} library frame${folded.length === 1 ? '' : 's'} (${names})`));
    folded = [];
  };
  for (const frame of frames) {
    if (!format.allFrames && isLibrary(frame)) {
      folded.push(frame);
      continue;
    }
    flushFolded();
    const fn = frame.function ? `${frame.function} ` : '';
    const at = `  at ${fn}${style('dim', '(')}${style('cyan', location(frame))}${style('dim', ')')}`;
    lines.push(isLibrary(frame) ? style('dim', at) : at);
    if (frame.context_line === undefined) continue;
    const lineno = frame.lineno ?? 0;
    const pre = frame.pre_context ?? [];
    const post = frame.post_context ?? [];
    const gutter = String(lineno + post.length).length;
    const sourceLine = (n: number, text: string, current: boolean) => {
      const number = String(n).padStart(gutter);
      const body = truncate(text, format.width - gutter - 8);
      return current
        ? `  ${style('red', '>')} ${style('bold', number)} ${style('dim', '|')} ${style('bold', body)}`
        : `    ${style('dim', `${number} |`)} ${body}`;
    };
    pre.forEach((text, i) => lines.push(sourceLine(lineno - pre.length + i, text, false)));
    lines.push(sourceLine(lineno, frame.context_line, true));
    post.forEach((text, i) => lines.push(sourceLine(lineno + 1 + i, text, false)));
  }
  flushFolded();
  return lines;
}
