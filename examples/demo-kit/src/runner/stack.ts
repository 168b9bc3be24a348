/**
 * The demo stack: the collector first, then the upstream, then both apps, each waited for;
 * stopped in the other order, so that the apps' last batches reach a collector still
 * listening, and the collector writes everything out before it exits.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseReady } from '../lifecycle.js';
import { DemoChild } from './child.js';

const require = createRequire(import.meta.url);
export const COLLECTOR_BIN = join(dirname(require.resolve('@sightline/collector/package.json')), 'bin', 'sightline.js');
const WATCHDOG = pathToFileURL(fileURLToPath(new URL('./watchdog.js', import.meta.url))).href;
const UPSTREAM = fileURLToPath(new URL('../upstream.js', import.meta.url));
export const APPS = [
  { service: 'express-demo', main: fileURLToPath(new URL('../../../express-demo/dist/main.js', import.meta.url)) },
  { service: 'fastify-demo', main: fileURLToPath(new URL('../../../fastify-demo/dist/main.js', import.meta.url)) },
] as const;

const LISTENING = /listening on (http:\/\/\S+)/;
const APPS_STOP_TIMEOUT_MS = 10_000;
const COLLECTOR_STOP_TIMEOUT_MS = 20_000;

export interface StackOptions {
  dir: string;
  /** A SQLite file or postgres://…; default <dir>/sightline.db. */
  collectorDb?: string | undefined;
  collectorPgSchema?: string | undefined;
  collectorPort: number;
  /** More `sightline collector` flags, e.g. `--anomaly-bucket 10s`. */
  collectorArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  onStderr(name: string, line: string): void;
}

export class DemoStack {
  collector: DemoChild | null = null;
  upstream: DemoChild | null = null;
  apps: DemoChild[] = [];
  readonly dataDir: string;
  readonly logDir: string;
  readonly collectorDb: string;
  readonly collectorPgSchema: string | undefined;

  constructor(private readonly options: StackOptions) {
    this.dataDir = join(options.dir, '.sightline-demo');
    this.logDir = join(this.dataDir, 'logs');
    this.collectorDb = options.collectorDb ?? join(options.dir, 'sightline.db');
    this.collectorPgSchema = options.collectorPgSchema;
    mkdirSync(this.logDir, { recursive: true });
  }

  get children(): DemoChild[] {
    return [this.collector, this.upstream, ...this.apps].filter((c): c is DemoChild => c !== null);
  }

  async startCollector(): Promise<DemoChild> {
    this.collector = await DemoChild.start({
      name: 'collector',
      cwd: this.options.dir,
      args: ['--import', WATCHDOG, COLLECTOR_BIN, 'collector', '--host', '127.0.0.1', '--port', String(this.options.collectorPort), '--db', this.collectorDb,
        ...(this.collectorPgSchema ? ['--pg-schema', this.collectorPgSchema] : []), ...(this.options.collectorArgs ?? [])],
      env: this.options.env,
      logFile: join(this.logDir, 'collector.log'),
      readyFrom: (line) => LISTENING.exec(line)?.[1] ?? null,
      onStderr: (line) => this.options.onStderr('collector', line),
    });
    return this.collector;
  }

  async startServices(): Promise<void> {
    const collectorUrl = this.collector!.url;
    const agentEnv: NodeJS.ProcessEnv = {
      ...this.options.env,
      PORT: '0',
      SIGHTLINE_SERVER_URL: collectorUrl,
      // Metrics charts fill sooner than with the default 30 s.
      SIGHTLINE_METRICS_INTERVAL: this.options.env.SIGHTLINE_METRICS_INTERVAL ?? '10s',
    };
    this.upstream = await this.service('demo-upstream', UPSTREAM, agentEnv);
    const appEnv = { ...agentEnv, DEMO_UPSTREAM_URL: this.upstream.url };
    const started = await Promise.allSettled(
      APPS.map((app) => this.service(app.service, app.main, { ...appEnv, DEMO_SQLITE_FILE: join(this.dataDir, `${app.service}.sqlite`) })),
    );
    for (const s of started) if (s.status === 'fulfilled') this.apps.push(s.value);
    const failure = started.find((s) => s.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  private service(name: string, main: string, env: NodeJS.ProcessEnv): Promise<DemoChild> {
    return DemoChild.start({
      name,
      // From its own package folder, as one would start it: frames read `src/orders.ts`.
      cwd: dirname(dirname(main)),
      args: [main],
      env,
      logFile: join(this.logDir, `${name}.log`),
      readyFrom: (line) => parseReady(line)?.url ?? null,
      onStderr: (line) => this.options.onStderr(name, line),
    });
  }

  /** Apps and upstream first (they flush their agents on SIGTERM), the collector last. */
  async stop(): Promise<void> {
    await Promise.all([...this.apps, this.upstream].map((c) => c?.stop(APPS_STOP_TIMEOUT_MS)));
    await this.collector?.stop(COLLECTOR_STOP_TIMEOUT_MS);
  }

  killNow(): void {
    for (const c of this.children) c.killNow();
  }
}
