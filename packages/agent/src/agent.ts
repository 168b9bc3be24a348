/**
 * The agent: config, tracer, error reporter and transport wired together, plus the
 * process-level duties (instrumentation hooks, crash capture, flush on exit).
 */
import { readConfig } from './config/read.js';
import type { Config, ConfigOptions } from './config/table.js';
import { installProcessHandlers } from './errors/process-handlers.js';
import { ErrorReporter } from './errors/reporter.js';
import { installModuleHooks } from './instrument/hooks.js';
import { CHANNEL_INSTRUMENTATIONS, MODULE_PATCHES } from './instrument/index.js';
import { logger } from './log.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import { NULL_SINK } from './trace/sink.js';
import { SpanCompressor } from './trace/compression.js';
import { Tracer } from './trace/tracer.js';
import type { TracerStats } from './trace/stats.js';
import { holdTickObjectMaps } from './trace/tick-maps.js';
import { buildMetadata } from './transport/metadata.js';
import { Transport, type TransportStats } from './transport/transport.js';
import { AGENT_VERSION } from './version.js';
import { installExitFlush } from './exit-flush.js';

export interface AgentStats {
  tracer: TracerStats;
  transport: TransportStats | null;
}

export class Agent {
  readonly config: Config;
  readonly tracer: Tracer;
  readonly errors: ErrorReporter;
  readonly transport: Transport | null;
  /** RED, breakdown and runtime metrics; null when inactive or metrics are off. */
  readonly metrics: AgentMetrics | null;
  private readonly cleanups: Array<() => void> = [];
  private closing: Promise<void> | null = null;

  constructor(config: Config) {
    this.config = config;
    logger.setLevel(config.logLevel);
    this.transport = config.active ? new Transport(config, buildMetadata(config, AGENT_VERSION)) : null;
    this.tracer = new Tracer(config, this.transport ?? NULL_SINK);
    this.errors = new ErrorReporter(this.tracer);
    if (config.spanCompressionEnabled) this.tracer.spanEndProcessor = new SpanCompressor(this.tracer);
    const metricsOn = config.metricsIntervalMs > 0 || config.metricsPort > 0;
    this.metrics = this.transport !== null && metricsOn ? new AgentMetrics(config, this.tracer, this.transport) : null;
  }

  static fromOptions(options?: ConfigOptions): Agent {
    return new Agent(readConfig(options));
  }

  /** Installs hooks and handlers. Does nothing more when the agent is inactive. */
  start(instrumentsLoaded: readonly string[] = []): void {
    if (!this.config.active) {
      logger.info('inactive (SIGHTLINE_ACTIVE=false): nothing is recorded');
      return;
    }
    holdTickObjectMaps();
    const disabled = new Set(this.config.disableInstrumentations);
    const patches = MODULE_PATCHES.filter((p) => !disabled.has(p.id));
    const hooks = installModuleHooks(patches, this, instrumentsLoaded);
    this.cleanups.push(() => hooks.unhook());
    for (const inst of CHANNEL_INSTRUMENTATIONS) {
      if (!disabled.has(inst.id)) this.cleanups.push(inst.enable(this));
    }
    if (this.config.captureExceptions) {
      this.cleanups.push(installProcessHandlers(this.errors, (ms) => this.flush(ms), this.config.flushTimeoutMs));
    }
    if (this.metrics !== null) this.cleanups.push(this.metrics.start());
    this.cleanups.push(installExitFlush((ms) => this.flush(ms), this.config.flushTimeoutMs));
    logger.debug(`started for service ${this.config.serviceName}, sending to ${this.config.serverUrl}`);
  }

  /** Names the web framework in the metadata of later requests. */
  setFramework(name: string, version: string | null): void {
    this.transport?.setFramework(name, version);
  }

  /** Sends what is held now. Never rejects. */
  async flush(timeoutMs = this.config.flushTimeoutMs): Promise<void> {
    try {
      await this.errors.pending();
      await this.metrics?.report();
      await this.transport?.flush(timeoutMs);
    } catch (err) {
      logger.once('warn', 'flush', `flush failed: ${(err as Error)?.message ?? err}`);
    }
  }

  /** Flushes, then removes every hook and handler. Safe to call twice. */
  close(timeoutMs = this.config.flushTimeoutMs): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.errors.pending();
        await this.metrics?.close();
        await this.transport?.close(timeoutMs);
      } catch (err) {
        logger.once('warn', 'close', `close failed: ${(err as Error)?.message ?? err}`);
      }
      for (const cleanup of this.cleanups.splice(0)) {
        try {
          cleanup();
        } catch {
          // Undoing one hook must not stop undoing the others.
        }
      }
    })();
    return this.closing;
  }

  stats(): AgentStats {
    return { tracer: { ...this.tracer.stats }, transport: this.transport?.stats() ?? null };
  }
}
