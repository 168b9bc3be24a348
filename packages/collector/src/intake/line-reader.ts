/** How much of an oversized line is echoed back as its `document`. */
const TOO_LARGE_DOCUMENT_BYTES = 1024;

export interface Line {
  /** The line without its newline; for an oversized line only its first bytes. */
  text: string;
  tooLarge: boolean;
}

/**
 * Splits a byte stream into lines as it arrives, yielding the lines each chunk completes
 * together (one step of async iteration per chunk, not per line: a chunk of 16 KB holds
 * ~20 events). A line longer than maxLineBytes is never held whole: its first bytes are
 * kept for the error report and the rest is skipped up to the next newline, so one huge
 * line costs no more memory than a normal one.
 */
export async function* readLines(source: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Line[]> {
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let skipping = false;
  let skippedHead = '';

  for await (const chunk of source) {
    const lines: Line[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (skipping) {
        if (newline === -1) break;
        skipping = false;
        lines.push({ text: skippedHead, tooLarge: true });
        start = newline + 1;
        continue;
      }
      const pieceBytes = end - start;
      if (partsBytes + pieceBytes > maxLineBytes) {
        parts.push(chunk.subarray(start, end));
        skippedHead = headOf(parts, maxLineBytes);
        parts = [];
        partsBytes = 0;
        if (newline === -1) {
          skipping = true;
          break;
        }
        lines.push({ text: skippedHead, tooLarge: true });
        start = newline + 1;
        continue;
      }
      if (newline === -1) {
        // Copied because some sources reuse their chunk buffers.
        parts.push(Buffer.from(chunk.subarray(start)));
        partsBytes += pieceBytes;
        break;
      }
      const text = parts.length === 0 ? chunk.toString('utf8', start, end) : joinParts(parts, chunk.subarray(start, end));
      parts = [];
      partsBytes = 0;
      lines.push({ text, tooLarge: false });
      start = newline + 1;
    }
    if (lines.length > 0) yield lines;
  }
  if (skipping) yield [{ text: skippedHead, tooLarge: true }];
  else if (partsBytes > 0) yield [{ text: Buffer.concat(parts).toString('utf8'), tooLarge: false }];
}

function joinParts(parts: Buffer[], last: Buffer): string {
  parts.push(last);
  return Buffer.concat(parts).toString('utf8');
}

function headOf(parts: Buffer[], maxLineBytes: number): string {
  const head = Buffer.concat(parts).subarray(0, Math.min(maxLineBytes, TOO_LARGE_DOCUMENT_BYTES));
  return head.toString('utf8');
}
