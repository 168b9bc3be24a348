/**
 * The first line of every intake request: who is sending (service, agent, runtime,
 * process, host). Shaped after spec/elastic-intake-v2/schema/metadata.json so that an
 * Elastic APM Server accepts it too. Built once at start; the transport serialises it
 * once and again only when the framework becomes known.
 */
import { arch, hostname, platform } from 'node:os';
import type { Config } from '../config/table.js';

export const AGENT_NAME = 'sightline-node';

/** The schema caps most strings at 1024 characters. */
const MAX_STRING = 1024;

export interface Metadata {
  service: {
    name: string;
    version?: string;
    environment?: string;
    node?: { configured_name: string };
    agent: { name: string; version: string };
    language: { name: 'javascript'; version: string };
    runtime: { name: 'node'; version: string };
    framework?: { name: string; version?: string };
  };
  process: { pid: number; ppid: number | null; title: string | null; argv: string[] };
  system: { hostname: string; detected_hostname: string; architecture: string; platform: string };
  labels?: Record<string, string | number | boolean>;
}

function cap(value: string): string {
  return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
}

function safeHostname(): string {
  try {
    return cap(hostname());
  } catch {
    // Some sandboxes refuse uname(); a missing hostname must not stop the agent.
    return 'unknown';
  }
}

export function buildMetadata(config: Config, agentVersion: string): Metadata {
  const host = safeHostname();
  const metadata: Metadata = {
    service: {
      name: config.serviceName,
      agent: { name: AGENT_NAME, version: agentVersion },
      language: { name: 'javascript', version: process.version },
      runtime: { name: 'node', version: process.versions.node },
    },
    process: {
      pid: process.pid,
      ppid: typeof process.ppid === 'number' ? process.ppid : null,
      title: typeof process.title === 'string' ? cap(process.title) : null,
      argv: process.argv.slice(),
    },
    system: { hostname: host, detected_hostname: host, architecture: arch(), platform: platform() },
  };
  if (config.serviceVersion !== null) metadata.service.version = cap(config.serviceVersion);
  if (config.environment !== '') metadata.service.environment = config.environment;
  if (config.serviceNodeName !== null) metadata.service.node = { configured_name: cap(config.serviceNodeName) };
  if (Object.keys(config.globalLabels).length > 0) metadata.labels = { ...config.globalLabels };
  return metadata;
}

/** A copy of `metadata` naming the framework (the original is left alone). */
export function withFramework(metadata: Metadata, name: string, version: string | null): Metadata {
  const framework: { name: string; version?: string } = { name: cap(name) };
  if (version !== null) framework.version = cap(version);
  return { ...metadata, service: { ...metadata.service, framework } };
}
