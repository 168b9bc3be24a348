/**
 * The process's health, read on each metrics interval: CPU, memory, event-loop delay and
 * utilisation, GC pauses by kind, active handles and requests. The event-loop delay
 * histogram is reset after each read, so its percentiles cover one interval.
 */
import { availableParallelism } from 'node:os';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization, type IntervalHistogram, type PerformanceEntry } from 'node:perf_hooks';
import { logger } from '../log.js';
import { Counter, type CounterSeries } from './counter.js';
import { Gauge, type GaugeSeries } from './gauge.js';
import { Histogram, type HistogramSeries } from './histogram.js';
import type { Registry } from './registry.js';

/** GC pause buckets, in seconds (as prom-client's). */
export const GC_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);

const GC_KINDS: ReadonlyMap<number, string> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/** Resource types of getActiveResourcesInfo() that are requests (FSReqCallback, GetAddrInfoReqWrap, …); the rest are handles. */
const REQUEST_TYPE = /Req(Wrap|Callback)?$|Request$/;

export class RuntimeMetrics {
  private readonly cpuUser: CounterSeries;
  private readonly cpuSystem: CounterSeries;
  private readonly cpuUtilization: GaugeSeries;
  private readonly rss: GaugeSeries;
  private readonly heapUsed: GaugeSeries;
  private readonly heapTotal: GaugeSeries;
  private readonly external: GaugeSeries;
  private readonly arrayBuffers: GaugeSeries;
  private readonly delayP50: GaugeSeries;
  private readonly delayP99: GaugeSeries;
  private readonly delayMax: GaugeSeries;
  private readonly delayMean: GaugeSeries;
  private readonly utilization: GaugeSeries;
  private readonly activeHandles: GaugeSeries;
  private readonly activeRequests: GaugeSeries;
  private readonly gc: Histogram;
  private readonly gcByKind = new Map<number, HistogramSeries>();
  private readonly cores = Math.max(1, availableParallelism());
  private delay: IntervalHistogram | null = null;
  private observer: PerformanceObserver | null = null;
  private lastElu: EventLoopUtilization | null = null;
  private lastCpu: NodeJS.CpuUsage | null = null;
  private lastWallMs = 0;

  constructor(registry: Registry) {
    const counter = (name: string, help: string, unit?: string): CounterSeries => registry.getOrCreate(new Counter({ name, help, unit })).labels({});
    const gauge = (name: string, help: string, unit?: string): GaugeSeries => registry.getOrCreate(new Gauge({ name, help, unit })).labels({});
    this.cpuUser = counter('process_cpu_user_seconds_total', 'CPU time spent in user mode.', 'seconds');
    this.cpuSystem = counter('process_cpu_system_seconds_total', 'CPU time spent in system mode.', 'seconds');
    this.cpuUtilization = gauge('process_cpu_utilization_ratio', 'CPU used over the last interval, user + system, as a share of all cores (0-1).', 'ratio');
    this.rss = gauge('process_resident_memory_bytes', 'Resident set size.', 'bytes');
    this.heapUsed = gauge('nodejs_heap_used_bytes', 'V8 heap used.', 'bytes');
    this.heapTotal = gauge('nodejs_heap_total_bytes', 'V8 heap allocated.', 'bytes');
    this.external = gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects (Buffers included).', 'bytes');
    this.arrayBuffers = gauge('nodejs_array_buffers_bytes', 'Memory of ArrayBuffers and SharedArrayBuffers.', 'bytes');
    this.delayP50 = gauge('nodejs_eventloop_delay_p50_seconds', 'Event-loop delay over the last interval, median.', 'seconds');
    this.delayP99 = gauge('nodejs_eventloop_delay_p99_seconds', 'Event-loop delay over the last interval, 99th percentile.', 'seconds');
    this.delayMax = gauge('nodejs_eventloop_delay_max_seconds', 'Event-loop delay over the last interval, maximum.', 'seconds');
    this.delayMean = gauge('nodejs_eventloop_delay_mean_seconds', 'Event-loop delay over the last interval, mean.', 'seconds');
    this.utilization = gauge('nodejs_eventloop_utilization_ratio', 'Share of the last interval the event loop was busy (0-1).', 'ratio');
    this.activeHandles = gauge('nodejs_active_handles', 'Active handles (sockets, servers, timers, …).');
    this.activeRequests = gauge('nodejs_active_requests', 'Active requests (file system, DNS, …).');
    this.gc = registry.getOrCreate(
      new Histogram({ name: 'nodejs_gc_duration_seconds', help: 'Garbage collection pauses, by kind.', unit: 'seconds', labelNames: ['kind'], buckets: GC_BUCKETS }),
    );
  }

  /** Starts the event-loop monitor and the GC observer; returns the function that stops them. */
  start(): () => void {
    try {
      this.delay = monitorEventLoopDelay({ resolution: 10 });
      this.delay.enable();
    } catch (err) {
      logger.once('warn', 'runtime-eld', `event-loop delay not measured: ${(err as Error).message}`);
    }
    try {
      this.observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.onGc(entry);
      });
      this.observer.observe({ entryTypes: ['gc'] });
    } catch (err) {
      logger.once('warn', 'runtime-gc', `GC pauses not measured: ${(err as Error).message}`);
    }
    this.lastElu = performance.eventLoopUtilization();
    this.lastCpu = process.cpuUsage();
    this.lastWallMs = performance.now();
    return () => this.stop();
  }

  stop(): void {
    this.delay?.disable();
    this.delay = null;
    this.observer?.disconnect();
    this.observer = null;
  }

  /** Reads every runtime value; windowed ones (utilisation, delay) cover the time since the last read. */
  update(): void {
    const cpu = process.cpuUsage();
    const wallMs = performance.now();
    this.cpuUser.value = cpu.user / 1e6;
    this.cpuSystem.value = cpu.system / 1e6;
    if (this.lastCpu !== null && wallMs > this.lastWallMs) {
      const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
      this.cpuUtilization.value = Math.max(0, usedUs / 1000 / (wallMs - this.lastWallMs) / this.cores);
    }
    this.lastCpu = cpu;
    this.lastWallMs = wallMs;

    const mem = process.memoryUsage();
    this.rss.value = mem.rss;
    this.heapUsed.value = mem.heapUsed;
    this.heapTotal.value = mem.heapTotal;
    this.external.value = mem.external;
    this.arrayBuffers.value = mem.arrayBuffers;

    const h = this.delay;
    if (h !== null && h.count > 0) {
      this.delayP50.value = h.percentile(50) / 1e9;
      this.delayP99.value = h.percentile(99) / 1e9;
      this.delayMax.value = h.max / 1e9;
      this.delayMean.value = h.mean / 1e9;
      h.reset();
    }
    const elu = performance.eventLoopUtilization();
    if (this.lastElu !== null) this.utilization.value = performance.eventLoopUtilization(elu, this.lastElu).utilization;
    this.lastElu = elu;

    let handles = 0;
    let requests = 0;
    for (const type of process.getActiveResourcesInfo()) {
      if (REQUEST_TYPE.test(type)) requests++;
      else handles++;
    }
    this.activeHandles.value = handles;
    this.activeRequests.value = requests;
  }

  private onGc(entry: PerformanceEntry): void {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
    let series = this.gcByKind.get(kind);
    if (series === undefined) {
      series = this.gc.labels({ kind: GC_KINDS.get(kind) ?? 'other' });
      this.gcByKind.set(kind, series);
    }
    series.observe(entry.duration / 1000);
  }
}
