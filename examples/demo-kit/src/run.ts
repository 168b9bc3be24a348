/**
 * `pnpm demo`: the whole Sightline demo in one command. Starts the collector, the upstream
 * and both demo apps, prints the UI's address, runs the load with a live progress line, and
 * on Ctrl-C (or SIGTERM, or when a bounded load ends with --exit) stops the load, then the
 * apps (which flush), then the collector (which writes its queue), and exits 0.
 */
import { relative } from 'node:path';
import { startLoad } from './load/generator.js';
import { DEMO_ROUTES } from './load/mix.js';
import { startProgress, summaryTable, type Progress } from './load/progress.js';
import { describeExit, type DemoChild } from './runner/child.js';
import { FAULT_ANOMALY_BUCKET, parseRunOptions, RUN_HELP, UsageError, type RunOptions } from './runner/options.js';
import { portIsFree } from './runner/port.js';
import { COLLECTOR_BIN, DemoStack } from './runner/stack.js';

const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const bold = (s: string): string => (color ? `\x1b[1m${s}\x1b[22m` : s);
const cyan = (s: string): string => (color ? `\x1b[36m${s}\x1b[39m` : s);
const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[22m` : s);

let progress: Progress | null = null;
const say = (line = ''): void => (progress ? progress.log(line) : void process.stdout.write(`${line}\n`));

/**
 * Resolves on the first Ctrl-C / SIGTERM; another one stops at once. One Ctrl-C can arrive
 * twice (from the terminal, and passed on by npx or pnpm), so a repeat within a second is
 * the same one.
 */
function stopRequests(stack: () => DemoStack | null): { requested: Promise<string>; isRequested(): boolean } {
  let requested = false;
  let requestedAt = 0;
  let resolve!: (signal: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested && performance.now() - requestedAt < 1_000) return;
    if (requested) {
      say('Stopping now.');
      stack()?.killNow();
      process.exit(130);
    }
    requested = true;
    requestedAt = performance.now();
    resolve(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { requested: promise, isRequested: () => requested };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

function describeBound(o: RunOptions): string {
  const parts: string[] = [];
  if (o.requests !== undefined) parts.push(`${o.requests} requests`);
  if (o.durationMs !== undefined) parts.push(fmtDuration(o.durationMs));
  return parts.length > 0 ? `for ${parts.join(' or ')}` : 'until Ctrl-C (30 min at most)';
}

function fmtDuration(ms: number): string {
  return ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunOptions(process.argv.slice(2), process.env, process.cwd());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`pnpm demo: ${err.message}\n\n${RUN_HELP}`);
    return 2;
  }
  if (options.help) return process.stdout.write(RUN_HELP), 0;

  let stack: DemoStack | null = null;
  const stop = stopRequests(() => stack);
  // Whatever happens to the runner, its children go with it.
  process.on('exit', () => stack?.killNow());

  let port = options.port;
  if (port !== 0 && !(await portIsFree(port))) {
    if (options.portExplicit) {
      process.stderr.write(`pnpm demo: port ${port} is taken; choose another with --port (0 for any free one)\n`);
      return 1;
    }
    say(`Port ${port} is taken (another collector?); the demo's collector takes a free port instead.`);
    port = 0;
  }

  stack = new DemoStack({
    dir: options.dir,
    collectorDb: options.collectorDb,
    collectorPgSchema: options.collectorPgSchema,
    collectorPort: port,
    collectorArgs: options.fault ? ['--anomaly-bucket', FAULT_ANOMALY_BUCKET] : [],
    env: options.fault ? { ...process.env, DEMO_FAULT: options.fault, DEMO_FAULT_AFTER: `${options.faultAfterMs}ms` } : process.env,
    onStderr: (name, line) => say(dim(`[${name}] ${line}`)),
  });
  const rel = shortPath;
  say(bold('Sightline demo'));
  try {
    say(`  starting the collector (${rel(stack.collectorDb)})…`);
    const collector = await stack.startCollector();
    if (stop.isRequested()) return await shutdown(stack, 0);
    say(`  starting demo-upstream, express-demo and fastify-demo…`);
    await stack.startServices();
    if (stop.isRequested()) return await shutdown(stack, 0);

    const uiUrl = `${collector.url}/ui/`;
    const database = process.env.DATABASE_URL
      ? `PostgreSQL ${redactUrl(process.env.DATABASE_URL)}${process.env.DEMO_PG_SCHEMA ? ` (schema ${process.env.DEMO_PG_SCHEMA})` : ''}`
      : `SQLite in ${rel(stack.dataDir)}/`;
    say();
    say(`  ${'collector'.padEnd(14)} ${collector.url}  ${dim(`(stores into ${rel(stack.collectorDb)})`)}`);
    for (const c of [...stack.apps, stack.upstream!]) say(`  ${c.name.padEnd(14)} ${c.url}`);
    say(`  ${'database'.padEnd(14)} ${database}`);
    say(`  ${'logs'.padEnd(14)} ${rel(stack.logDir)}/`);
    say();
    say(bold(cyan(`  ➜  Open ${uiUrl}`)));
    say();
    say(
      `Load: ${DEMO_ROUTES.length} routes on ${stack.apps.length} apps, ${options.ratePerSecond > 0 ? `${options.ratePerSecond} req/s` : 'as fast as they answer'}, ` +
        `${options.concurrency} in flight, ${describeBound(options)}. Ctrl-C stops everything.`,
    );
    if (options.fault) {
      say(
        `Fault: /${options.fault} spends 8 ms more in the database starting ${fmtDuration(options.faultAfterMs)} from now; the collector judges ` +
          `${FAULT_ANOMALY_BUCKET} buckets, so the anomaly shows on the apps' service pages about a bucket later.`,
      );
    }

    const abort = new AbortController();
    const load = startLoad({
      targets: stack.apps.map((a) => ({ service: a.name, url: a.url })),
      durationMs: options.durationMs,
      requests: options.requests,
      concurrency: options.concurrency,
      ratePerSecond: options.ratePerSecond,
      signal: abort.signal,
    });
    progress = startProgress(load.stats, { durationMs: options.durationMs ?? (options.requests === undefined ? 30 * 60_000 : undefined), requests: options.requests });
    const crashed = firstExit(stack.children);
    const first = await Promise.race([load.done.then(() => 'load' as const), stop.requested.then(() => 'stop' as const), crashed]);
    abort.abort();
    await load.done;
    progress.stop();
    progress = null;
    if (typeof first === 'object') return await failed(stack, `${first.name} stopped unexpectedly`, first);
    say();
    say(summaryTable(load.stats));
    say();
    if (first === 'load' && !options.exitAfterLoad) {
      say(`Load finished. Everything keeps running so you can explore ${bold(uiUrl)} — Ctrl-C to stop.`);
      const after = await Promise.race([stop.requested.then(() => null), crashed]);
      if (after !== null) return await failed(stack, `${after.name} stopped unexpectedly`, after);
    }
    return await shutdown(stack, 0);
  } catch (err) {
    return await failed(stack, (err as Error).message, null);
  }
}

/** Relative to where the demo was started when below it, else absolute. */
function shortPath(path: string): string {
  if (/^postgres(ql)?:\/\//.test(path)) return redactUrl(path);
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

function firstExit(children: DemoChild[]): Promise<DemoChild> {
  return Promise.race(children.map((c) => c.exited.then(() => c)));
}

async function shutdown(stack: DemoStack, code: number): Promise<number> {
  say('Stopping: the apps flush their agents, then the collector writes what it holds…');
  await stack.stop();
  for (const c of stack.children) {
    const exit = await c.exited;
    if (exit.code !== 0) say(dim(`  ${c.name} exited with ${describeExit(exit)}`));
  }
  const db = shortPath(stack.collectorDb);
  const schema = stack.collectorPgSchema ? ` --pg-schema ${stack.collectorPgSchema}` : '';
  say(`Stopped. The data stays in ${db}; \`node ${shortPath(COLLECTOR_BIN)} collector --db ${db}${schema}\` serves it again.`);
  return code;
}

async function failed(stack: DemoStack | null, message: string, child: DemoChild | null): Promise<number> {
  process.stderr.write(`\npnpm demo: ${message}\n`);
  const culprit = child;
  if (culprit) process.stderr.write(`--- last lines of ${culprit.logFile} ---\n${culprit.logTail()}\n---\n`);
  if (stack) await stack.stop();
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pnpm demo: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);

