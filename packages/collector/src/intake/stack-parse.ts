export interface ParsedFrame {
  function?: string;
  filename: string;
  abs_path: string;
  lineno?: number;
  colno?: number;
  library_frame: boolean;
}

const V8_FRAME = /^\s*at (?:(.+?) \()?(.+?)(?::(\d+))?(?::(\d+))?\)?\s*$/;
const PYTHON_FRAME = /^\s*File "(.+)", line (\d+), in (.+)$/;
const JAVA_FRAME = /^\s*at ([\w$.<>]+)\(([^:)]+)(?::(\d+))?\)\s*$/;

function isLibrary(path: string): boolean {
  return /node_modules|site-packages|^node:|^internal\/|^(java|javax|jdk|sun)\./.test(path);
}

/**
 * Frames from an `exception.stacktrace` string as OpenTelemetry SDKs send it (Node/V8,
 * Python and Java formats); lines it cannot read are skipped, the raw text is kept too.
 */
export function parseStacktrace(text: string): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  for (const line of text.split('\n')) {
    let match = JAVA_FRAME.exec(line);
    if (match !== null) {
      frames.push({ function: match[1]!, filename: match[2]!, abs_path: match[2]!, ...(match[3] ? { lineno: Number(match[3]) } : {}), library_frame: isLibrary(match[1]!) });
      continue;
    }
    match = PYTHON_FRAME.exec(line);
    if (match !== null) {
      frames.push({ function: match[3]!, filename: match[1]!, abs_path: match[1]!, lineno: Number(match[2]), library_frame: isLibrary(match[1]!) });
      continue;
    }
    match = V8_FRAME.exec(line);
    if (match === null || !line.trimStart().startsWith('at ')) continue;
    const path = match[2]!.replace(/^file:\/\//, '');
    const frame: ParsedFrame = { filename: path, abs_path: path, library_frame: isLibrary(path) };
    if (match[1]) frame.function = match[1];
    if (match[3]) frame.lineno = Number(match[3]);
    if (match[4]) frame.colno = Number(match[4]);
    frames.push(frame);
  }
  return frames;
}
