/**
 * Uncaught exceptions and unhandled rejections, captured with handled: false and flushed
 * before the process dies. Listening changes what Node does (a process with an
 * `uncaughtException` listener no longer crashes), so when ours is the only listener we do
 * what Node would have done: print the error and exit with code 1. When the app has its own
 * listeners, we capture and leave the decision to the app.
 */
import { inspect } from '../node-builtins.js';
import type { ErrorReporter } from './reporter.js';
import { describeValue, isErrorLike } from './safe.js';

const OURS = Symbol('sightline.processHandler');
type Listener = ((value: unknown) => void) & { [OURS]?: true };

/** Installs the handlers; the returned function removes them. */
export function installProcessHandlers(
  reporter: ErrorReporter,
  flush: (timeoutMs: number) => Promise<void>,
  flushTimeoutMs: number,
): () => void {
  // Values already captured: a rejection re-raised as an exception is reported once.
  const captured = new WeakSet<object>();
  let exiting = false;

  function capture(value: unknown): void {
    if (typeof value === 'object' && value !== null) {
      if (captured.has(value)) return;
      captured.add(value);
    }
    reporter.capture(value, { handled: false });
  }

  async function crash(value: unknown): Promise<void> {
    if (exiting) return;
    exiting = true;
    // Set first: if anything ends the process before we do, it still ends as a crash.
    process.exitCode = 1;
    const deadline = Date.now() + flushTimeoutMs;
    try {
      await withTimeout(reporter.pending(), flushTimeoutMs);
      await withTimeout(flush(Math.max(0, deadline - Date.now())), Math.max(0, deadline - Date.now()));
    } catch {
      // Dying anyway; what could not be sent is lost.
    }
    printFatal(value);
    process.exit(1);
  }

  // The monitor runs before any `uncaughtException` listener, so the error is captured even
  // when an app listener calls process.exit() synchronously.
  const onMonitor: Listener = mark((err: unknown) => capture(err));

  const onUncaught: Listener = mark((err: unknown) => {
    if (othersListening('uncaughtException')) return;
    void crash(err);
  });

  const onRejection: Listener = mark((reason: unknown) => {
    capture(reason);
    if (othersListening('unhandledRejection')) return;
    switch (unhandledRejectionsMode()) {
      case 'throw': {
        // Node's default raises the rejection as an uncaught exception, which the app's
        // `uncaughtException` listeners may handle; ours crashes if none does.
        const raised = isErrorLike(reason) ? reason : rejectionError(reason);
        captured.add(raised);
        process.nextTick(raise, raised);
        break;
      }
      case 'warn-with-error-code':
        printWarning(reason);
        process.exitCode = 1;
        break;
      default:
        // strict: Node already raised it as an exception; warn: Node warns regardless of
        // listeners; none: nothing to do.
        break;
    }
  });

  process.on('uncaughtExceptionMonitor', onMonitor);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.removeListener('uncaughtExceptionMonitor', onMonitor);
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('unhandledRejection', onRejection);
  };
}

function mark(fn: (value: unknown) => void): Listener {
  return Object.assign(fn, { [OURS]: true as const });
}

/** Listeners other than ours (any agent instance's) for `event`. */
function othersListening(event: 'uncaughtException' | 'unhandledRejection'): boolean {
  // Split so each call matches its typed overload.
  const listeners: readonly unknown[] = event === 'uncaughtException' ? process.listeners(event) : process.listeners(event);
  return listeners.some((l) => (l as Listener)[OURS] !== true);
}

function raise(value: unknown): never {
  throw value;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // Not unref'd on purpose: the process must stay up until the flush ends or times out.
  const t = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** `--unhandled-rejections` from the command line or NODE_OPTIONS; Node's default is throw. */
export function unhandledRejectionsMode(): string {
  const args = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  const m = /--unhandled-rejections(?:=|\s+)([\w-]+)/.exec(args);
  return m === null ? 'throw' : m[1]!;
}

/** What Node throws for a rejection whose reason is not an Error. */
function rejectionError(reason: unknown): Error {
  const err = new Error(
    'This error originated either by throwing inside of an async function without a catch block, ' +
      'or by rejecting a promise which was not handled with .catch(). ' +
      `The promise rejected with the reason "${typeof reason === 'string' ? reason : show(reason)}".`,
  );
  err.name = 'UnhandledPromiseRejection';
  (err as Error & { code: string }).code = 'ERR_UNHANDLED_REJECTION';
  err.stack = `${err.name}: ${err.message}`;
  return err;
}

function show(value: unknown): string {
  try {
    return inspect(value);
  } catch {
    return describeValue(value);
  }
}

function writeStderr(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // Nowhere left to say it.
  }
}

/** As Node prints a fatal exception (without the source line excerpt, which only V8 has). */
function printFatal(value: unknown): void {
  const body = isErrorLike(value)
    ? show(value)
    : `Uncaught ${show(value)}\n(Use \`node --trace-uncaught ...\` to show where the exception was thrown)`;
  writeStderr(`${body}\n\nNode.js ${process.version}\n`);
}

function printWarning(reason: unknown): void {
  writeStderr(`(node:${process.pid}) UnhandledPromiseRejectionWarning: ${show(reason)}\n`);
}
