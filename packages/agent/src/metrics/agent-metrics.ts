/**
 * The agent's metrics, wired: RED from every ended transaction, breakdown from sampled
 * ones, runtime health, the periodic reporter, and the scrape server when configured.
 */
import type { Server } from 'node:http';
import type { Config } from '../config/table.js';
import type { EventSink } from '../trace/sink.js';
import type { Tracer } from '../trace/tracer.js';
import { Breakdown } from './breakdown.js';
import { constLabels } from './exposition.js';
import { createHandler, listenMetrics, type Exposition } from './prometheus.js';
import { promClientSources } from './prom-client.js';
import { RedMetrics } from './red.js';
import { Registry, userRegistry, type FamilySnapshot } from './registry.js';
import { MetricsReporter, type MetricSource } from './reporter.js';
import { RuntimeMetrics } from './runtime.js';

const USER_SOURCE: MetricSource = { id: 'app', collect: () => userRegistry.collect() };

export class AgentMetrics {
  readonly registry = new Registry();
  readonly red: RedMetrics;
  readonly breakdown: Breakdown;
  readonly runtime: RuntimeMetrics;
  readonly reporter: MetricsReporter;
  private readonly global: Array<[string, string]>;
  private readonly source: MetricSource;
  private server: Server | null = null;
  private stopRuntime: (() => void) | null = null;

  constructor(
    private readonly config: Config,
    private readonly tracer: Tracer,
    sink: EventSink,
  ) {
    this.red = new RedMetrics(this.registry);
    this.breakdown = new Breakdown(this.registry, this.red);
    this.runtime = new RuntimeMetrics(this.registry);
    this.global = constLabels(config.globalLabels);
    this.source = { id: 'agent', collect: () => this.registry.collect() };
    this.reporter = new MetricsReporter(() => this.sources(), sink, () => this.runtime.update());
  }

  /** Hooks into the tracer, starts the runtime probes, the interval and the scrape server. */
  start(): () => void {
    const red = this.red;
    const breakdown = this.breakdown;
    // One hook: breakdown finds its series on the RED entry the transaction was counted in.
    this.tracer.addTransactionEndHook((tx) => breakdown.onTransactionEnd(tx, red.record(tx)));
    this.tracer.addSpanEndHook((span) => breakdown.onSpanEnd(span));
    this.stopRuntime = this.runtime.start();
    this.reporter.start(this.config.metricsIntervalMs);
    if (this.config.metricsPort > 0) {
      this.server = listenMetrics(createHandler(() => this.exposition()), this.config.metricsPort, this.config.metricsHost);
    }
    return () => this.stop();
  }

  sources(): MetricSource[] {
    return [this.source, USER_SOURCE, ...promClientSources()];
  }

  /** Sends a report now (when metrics are sent at all). Never rejects. */
  report(): Promise<void> {
    return this.config.metricsIntervalMs > 0 ? this.reporter.report() : Promise.resolve();
  }

  /** Stops the interval, sends the last report, and stops everything else. */
  async close(): Promise<void> {
    this.reporter.stop();
    await this.report();
    this.stop();
  }

  stop(): void {
    this.reporter.stop();
    this.stopRuntime?.();
    this.stopRuntime = null;
    if (this.server !== null) {
      this.server.close();
      this.server.closeAllConnections();
      this.server = null;
    }
  }

  /** What a scrape shows: the agent's metrics and the app's, with the global labels. */
  async exposition(): Promise<Exposition> {
    // Without a reporter tick, the scrape is what refreshes the runtime values.
    if (!this.reporter.running && this.stopRuntime !== null) this.runtime.update();
    const families: FamilySnapshot[] = [...(await this.registry.collect()), ...(await userRegistry.collect())];
    return { families, global: this.global };
  }
}
