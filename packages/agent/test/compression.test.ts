import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { isLoopbackHost, shouldGzip } from '../src/transport/compression.js';

describe('compressRequests', () => {
  it.each(['127.0.0.1', '127.12.0.9', 'localhost', 'LOCALHOST', 'api.localhost', '[::1]', '::1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]'])('counts %s as this host', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['10.0.0.5', '128.0.0.1', 'collector.internal', 'localhost.example.com', '[::2]', '[2001:db8::1]', '0.0.0.0', '[::ffff:10.0.0.1]'])('counts %s as another host', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('gzips by default only to a collector on another host; always and never do as they say', () => {
    expect(shouldGzip('auto', new URL('http://127.0.0.1:8200'))).toBe(false);
    expect(shouldGzip('auto', new URL('https://apm.example.com'))).toBe(true);
    expect(shouldGzip('always', new URL('http://127.0.0.1:8200'))).toBe(true);
    expect(shouldGzip('never', new URL('https://apm.example.com'))).toBe(false);
  });

  it('is read from SIGHTLINE_COMPRESS_REQUESTS and refuses anything else with a coded error', () => {
    expect(readConfig({}, {}).compressRequests).toBe('auto');
    expect(readConfig({}, { SIGHTLINE_COMPRESS_REQUESTS: 'always' }).compressRequests).toBe('always');
    expect(() => readConfig({}, { SIGHTLINE_COMPRESS_REQUESTS: 'sometimes' })).toThrow(/SIGHTLINE_COMPRESS_REQUESTS/);
  });
});
