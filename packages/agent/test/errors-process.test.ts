/**
 * Uncaught exceptions and unhandled rejections in a real child process running the built
 * agent (`tsc -b packages/agent` first), reporting over HTTP to a real intake server here.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { IntakeServer } from './helpers/intake-server.js';
import { schemaErrors } from './helpers/spec.js';

const APP = join(import.meta.dirname, 'fixtures/errors/crash/app.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runApp(scenario: string, intakeUrl: string, nodeArgs: string[] = []): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, SCENARIO: scenario, INTAKE_URL: intakeUrl };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [...nodeArgs, APP], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: IntakeServer;
beforeEach(async () => {
  server = new IntakeServer();
  await server.start();
});
afterEach(() => server.close());

function errorEvents(): Array<Record<string, any>> {
  const errors = server.events.filter((e) => e.kind === 'error').map((e) => e.event as Record<string, any>);
  for (const ev of errors) expect(schemaErrors('error', ev)).toBe('');
  return errors;
}

describe('uncaughtException', () => {
  test('with no app listener: captured unhandled, sent, printed like Node, exit code 1', async () => {
    const run = await runApp('uncaught', server.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error: boom uncaught');
    expect(run.stderr).toContain(`Node.js ${process.version}`);
    const [ev, ...rest] = errorEvents();
    expect(rest).toEqual([]);
    expect(ev!.exception).toMatchObject({ type: 'Error', message: 'boom uncaught', handled: false });
    expect(ev!.culprit).toContain('crash/app.mjs');
    expect(ev!.exception.stacktrace[0].context_line).toContain("throw new Error('boom uncaught')");
  });

  test('with an app listener: captured, and the app decides (it keeps running)', async () => {
    const run = await runApp('uncaught-app-listener', server.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('app handled: handled by the app');
    expect(run.stderr).not.toContain('Node.js v');
    const errors = errorEvents();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.exception).toMatchObject({ message: 'handled by the app', handled: false });
  });

  test('from compiled TypeScript, with or without --enable-source-maps: the same .ts frames and group', async () => {
    const plain = await runApp('typescript', server.url);
    const mapped = await runApp('typescript', server.url, ['--enable-source-maps']);
    expect(plain.code).toBe(1);
    expect(mapped.code).toBe(1);
    const [a, b] = errorEvents();
    for (const ev of [a!, b!]) {
      expect(ev.exception).toMatchObject({ type: 'OrderError', message: 'order 7 has no items', code: 'E_ORDER_INVALID', handled: false });
      expect(ev.exception.stacktrace[0]).toMatchObject({ function: 'checkItems', lineno: 20, colno: 11 });
      expect(ev.exception.stacktrace[0].abs_path).toBe(join(import.meta.dirname, 'fixtures/errors/ts/src/thrower.ts'));
      expect(ev.exception.stacktrace[0].context_line).toBe('    throw new OrderError(`order ${order.id} has no items`);');
    }
    expect(a!.exception.attributes.fingerprint).toBe(b!.exception.attributes.fingerprint);
  });
});

describe('unhandledRejection', () => {
  test('with no app listener: captured unhandled, exit code 1 as in Node\'s default mode', async () => {
    const run = await runApp('rejection', server.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error: boom rejected');
    const errors = errorEvents();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.exception).toMatchObject({ message: 'boom rejected', handled: false });
  });

  test('a non-Error reason: reported once, printed as Node\'s ERR_UNHANDLED_REJECTION', async () => {
    const run = await runApp('rejection-string', server.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ERR_UNHANDLED_REJECTION');
    expect(run.stderr).toContain('a plain reason');
    const errors = errorEvents();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.log.message).toBe('a plain reason');
  });

  test('with an app unhandledRejection listener: captured, the app decides', async () => {
    const run = await runApp('rejection-app-listener', server.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('app saw rejection: rejection for the app');
    const errors = errorEvents();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.exception).toMatchObject({ message: 'rejection for the app', handled: false });
  });

  test('with only an app uncaughtException listener: it receives the rejection, as in Node', async () => {
    const run = await runApp('rejection-uncaught-listener', server.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('app caught: rejection raised as exception');
    const errors = errorEvents();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.exception).toMatchObject({ message: 'rejection raised as exception', handled: false });
  });
});
