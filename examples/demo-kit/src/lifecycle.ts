/**
 * How a demo process meets the runner: it says it is ready on stdout as one JSON line, and
 * it stops cleanly (closing its server and database, flushing the agent) on SIGTERM, SIGINT
 * or when the runner goes away (its stdin closes), so no process outlives the demo.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReadyMessage {
  ready: string;
  url: string;
}

/** Prints `{"ready":"<service>","url":"http://127.0.0.1:<port>"}`: the runner waits for it. */
export function announceReady(service: string, server: Server): string {
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const message: ReadyMessage = { ready: service, url };
  process.stdout.write(`${JSON.stringify(message)}\n`);
  return url;
}

export function parseReady(line: string): ReadyMessage | null {
  if (!line.startsWith('{"ready"')) return null;
  try {
    const msg = JSON.parse(line) as ReadyMessage;
    return typeof msg.ready === 'string' && typeof msg.url === 'string' ? msg : null;
  } catch {
    return null;
  }
}

const STOP_TIMEOUT_MS = 8_000;

/**
 * Runs `stop` once on the first of SIGTERM, SIGINT or the runner's stdin closing, then
 * exits 0 (1 if stopping failed or took longer than 8 s).
 */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const run = (): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), STOP_TIMEOUT_MS);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stopping failed: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', run);
  process.on('SIGINT', run);
  if (process.env.SIGHTLINE_DEMO_CHILD === '1') watchParent(run);
}

/** The runner keeps our stdin open; it closes when the runner exits, however it exits. */
export function watchParent(onGone: () => void): void {
  const stdin = process.stdin;
  stdin.on('end', onGone);
  stdin.on('error', onGone);
  stdin.resume();
  // Watching must not keep the process alive on its own.
  (stdin as { unref?: () => void }).unref?.();
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
