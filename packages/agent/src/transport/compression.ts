/**
 * Whether batches are gzipped. Compressing costs CPU in the monitored process's thread pool
 * (about a sixth of what a traced request adds, measured with callgrind); it pays where the
 * bytes cross a network, not on loopback, where the collector would only spend more CPU
 * again to gunzip. A local agent talking to a collector on the same host is the common
 * sidecar set-up, so `auto` sends those batches as they are.
 */
import { isIP } from 'node:net';

export type CompressRequests = 'auto' | 'always' | 'never';

/** A hostname that can only reach this host: localhost names, 127.0.0.0/8, ::1 (and ::ffff:127.x). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host) || /^::ffff:7f[0-9a-f]{2}:/.test(host);
  return false;
}

export function shouldGzip(mode: CompressRequests, url: URL): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return !isLoopbackHost(url.hostname);
}
