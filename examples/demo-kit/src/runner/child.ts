/**
 * One process of the demo stack. Each runs in its own process group (so a Ctrl-C at the
 * terminal reaches only the runner, which then stops them in order) and holds a pipe from
 * the runner as stdin, so it stops by itself if the runner dies without cleaning up.
 * stdout and stderr go to a log file; stderr lines are also shown, prefixed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  name: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** The process's URL if this stdout line says it is ready, else null. */
  readyFrom(line: string): string | null;
  onStderr?: (line: string) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const READY_TIMEOUT_MS = 60_000;

export class DemoChild {
  readonly exited: Promise<Exit>;
  url = '';
  private exit: Exit | null = null;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Starts the process and resolves once it says it is ready; rejects (and kills it) otherwise. */
  static async start(spec: ChildSpec): Promise<DemoChild> {
    const log = createWriteStream(spec.logFile, { flags: 'a' });
    const proc = spawn(process.execPath, spec.args, {
      cwd: spec.cwd,
      env: { ...spec.env, SIGHTLINE_DEMO_CHILD: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const child = new DemoChild(spec.name, spec.logFile, proc);
    proc.stdin!.on('error', () => {});
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    child.exited.then(() => log.end());
    if (spec.onStderr) createInterface({ input: proc.stderr! }).on('line', spec.onStderr);

    let timer: NodeJS.Timeout | undefined;
    try {
      child.url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          const url = spec.readyFrom(line);
          if (url !== null) resolve(url);
        });
        proc.once('error', reject);
        child.exited.then((e) => reject(new Error(`${spec.name} exited (${describeExit(e)}) before it was ready`)));
        timer = setTimeout(() => reject(new Error(`${spec.name} was not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      });
    } catch (err) {
      await child.stop(2_000);
      throw new Error(`${(err as Error).message}\n--- last lines of ${spec.logFile} ---\n${child.logTail()}\n---`);
    } finally {
      clearTimeout(timer);
    }
    return child;
  }

  /** SIGTERM to its group, then SIGKILL after `timeoutMs`; resolves when it has exited. */
  async stop(timeoutMs: number): Promise<Exit> {
    if (!this.running) return this.exited;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (this.running) this.signal('SIGKILL');
    return this.exited;
  }

  /** For the last moment (the runner's own exit): no waiting. */
  killNow(): void {
    if (this.running) this.signal('SIGKILL');
  }

  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.proc.pid!, sig);
    } catch {
      try {
        this.proc.kill(sig);
      } catch {
        // Already gone.
      }
    }
  }
}

export function describeExit(e: Exit): string {
  return e.signal !== null ? `signal ${e.signal}` : `code ${e.code}`;
}
