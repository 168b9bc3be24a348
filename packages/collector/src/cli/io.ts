/** Where a command writes, and whether that place is a colour terminal. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Columns to fit tables and bars into. */
  readonly width: number;
  readonly colour: boolean;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Colour only on a terminal, never with NO_COLOR set (https://no-color.org), always with
 * FORCE_COLOR set to anything but 0.
 */
export function shouldColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    width: Math.max(60, process.stdout.columns ?? Number(process.env.COLUMNS ?? 100)),
    colour: shouldColour(process.stdout, process.env),
    env: process.env,
  };
}
