/**
 * Parses one NDJSON line. Like APM Server's decoder, it reads the first JSON value on the
 * line and ignores anything after it (some agents' payloads end a line with stray bytes).
 * Gives the parser's reason when there is no JSON value at the start of the line. `whole`
 * tells whether the value was the whole line.
 */
export function parseJsonLine(text: string): { value: unknown; whole: boolean } | { error: string } {
  try {
    return { value: JSON.parse(text), whole: true };
  } catch (error) {
    const message = (error as Error).message;
    const trailing = /non-whitespace character after JSON at position (\d+)/.exec(message);
    if (trailing !== null) {
      try {
        return { value: JSON.parse(text.slice(0, Number(trailing[1]))), whole: false };
      } catch {
        // fall through to the original error
      }
    }
    return { error: message };
  }
}
