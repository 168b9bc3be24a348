/**
 * The transport never keeps an app alive: a child process (running the built dist files,
 * as an app would) that created a transport and sent events exits as soon as its own work
 * is done, whether the collector hangs, refuses connections or is never asked. And an app
 * that awaits close() still gets its events out before it exits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeServer } from './helpers/intake-server.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
let dir: string;

beforeAll(() => {
  if (!existsSync(join(DIST, 'transport/transport.js'))) {
    throw new Error(`build the agent first (npx tsc -b packages/agent): ${DIST}transport/transport.js is missing`);
  }
  dir = mkdtempSync(join(tmpdir(), 'sightline-transport-exit-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface ChildResult {
  code: number | null;
  elapsedMs: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `body` as an ES module with `transport` (a Transport for `serverUrl`, flushing every
 * 10 ms and retrying only after 10 s unless `flushIntervalMs` says otherwise) in scope.
 */
function runChild(serverUrl: string, body: string, flushIntervalMs = 10): Promise<ChildResult> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  const url = (p: string): string => pathToFileURL(join(DIST, p)).href;
  writeFileSync(
    file,
    `
import { readConfig } from ${JSON.stringify(url('config/read.js'))};
import { buildMetadata } from ${JSON.stringify(url('transport/metadata.js'))};
import { Transport } from ${JSON.stringify(url('transport/transport.js'))};
import { logger } from ${JSON.stringify(url('log.js'))};
logger.setLevel('off');
const config = readConfig({ serviceName: 'exit-test', serverUrl: ${JSON.stringify(serverUrl)}, flushIntervalMs: ${flushIntervalMs}, serverTimeoutMs: 60_000 }, {});
const transport = new Transport(config, buildMetadata(config, '0.0.0'), { backoffBaseMs: 10_000 });
${body}
`,
  );
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, elapsedMs: Date.now() - start, stdout, stderr });
    });
  });
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ url: string; sockets: Socket[]; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, sockets, server };
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

// The child's own work: a short ref()ed timer, so that the transport's request is surely under way when it ends.
const APP = `
for (let i = 0; i < 20; i++) transport.send('span', { id: 'span-' + i });
setTimeout(() => console.log(JSON.stringify(transport.stats())), 300);
`;

describe('transport: the process exits on its own', () => {
  it('while a request hangs on a server that never answers', async () => {
    const silent = await silentServer();
    try {
      const result = await runChild(silent.url, APP);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.elapsedMs).toBeLessThan(3000);
      expect(silent.sockets.length).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ requests: 1, queued: 20, sent: 0 });
    } finally {
      for (const s of silent.sockets) s.destroy();
      silent.server.close();
    }
  });

  it('while a retry is pending after connections were refused', async () => {
    const result = await runChild(await closedPortUrl(), APP);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.elapsedMs).toBeLessThan(3000);
    const stats = JSON.parse(result.stdout) as { failedRequests: number; lastError: string; queued: number };
    expect(stats.failedRequests).toBe(1);
    expect(stats.lastError).toContain('ECONNREFUSED');
    expect(stats.queued).toBe(20);
  });

  it('with events queued that no timer has sent yet', async () => {
    const result = await runChild(
      await closedPortUrl(),
      `
      for (let i = 0; i < 5; i++) transport.send('span', { id: i });
      console.log(JSON.stringify(transport.stats()));
    `,
      600_000,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.elapsedMs).toBeLessThan(3000);
    expect(JSON.parse(result.stdout)).toMatchObject({ queued: 5, requests: 0 });
  });
});

describe('transport: an app that awaits close() on its way out', () => {
  it('stays up until a slow server has answered, then exits', async () => {
    const server = new IntakeServer();
    const url = await server.start();
    server.delayMs = 300;
    try {
      const result = await runChild(
        url,
        `
        transport.send('transaction', { id: 'last-words' });
        await transport.close(5000);
        console.log(JSON.stringify(transport.stats()));
      `,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ sent: 1, queued: 0 });
      expect(server.events.map((e) => e.event.id)).toEqual(['last-words']);
    } finally {
      await server.close();
    }
  });

  it('gives up after the close() timeout when the server never answers', async () => {
    const silent = await silentServer();
    try {
      const result = await runChild(
        silent.url,
        `
        transport.send('transaction', { id: 'lost' });
        await transport.close(400);
        console.log(JSON.stringify(transport.stats()));
      `,
      );
      expect(result.code).toBe(0);
      expect(result.elapsedMs).toBeLessThan(3000);
      expect(JSON.parse(result.stdout)).toMatchObject({ sent: 0, droppedClosed: 1, queued: 0 });
    } finally {
      for (const s of silent.sockets) s.destroy();
      silent.server.close();
    }
  });
});
