import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIntake, startTestCollector, type TestCollector } from './helpers.js';
import { sightline } from './cli-helpers.js';
import { seedPayloads, TRACE_ID } from './seed.js';

const ESC = '\u001b[';

describe('sightline CLI against a running collector with a seeded database', () => {
  let collector: TestCollector;
  let groupId: string;
  beforeAll(async () => {
    collector = await startTestCollector({ secretToken: 's3cret' });
    for (const payload of seedPayloads()) {
      expect((await postIntake(collector.url, payload, { authorization: 'Bearer s3cret' })).status).toBe(202);
    }
    await collector.flush();
  });
  afterAll(async () => collector.close());
  const run = (args: string[], env: Record<string, string> = {}) =>
    sightline([...args, '--url', collector.url, '--secret-token', 's3cret'], env);

  it('sightline errors prints a table of error groups, most recent first', async () => {
    const { code, stdout, stderr } = await run(['errors']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^GROUP\s+COUNT\s+LAST SEEN\s+SERVICE\s+TYPE\s+MESSAGE$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^[0-9a-f]{12}\s+3\s+\d+m ago\s+checkout\s+TypeError\s+user 0x1f not found$/);
    expect(lines[2]).toMatch(/TimeoutError\s+upstream timed out after 3000 ms$/);
    expect(stdout).not.toContain(ESC);
    groupId = lines[1]!.split(' ')[0]!;
  });

  it('sightline error <group> shows frames with source lines and folds library frames', async () => {
    const { code, stdout } = await run(['error', groupId]);
    expect(code).toBe(0);
    expect(stdout).toContain('TypeError: user 0x1f not found');
    expect(stdout).toContain('seen     3 times');
    expect(stdout).toContain('  at getUser (src/users.js:42:11)');
    expect(stdout).toMatch(/ {2}> 42 \| {3}if \(!user\) throw new TypeError/);
    expect(stdout).toMatch(/ {4}41 \| {3}const user = users.get\(id\);/);
    expect(stdout).toContain('… 2 library frames (express)');
    expect(stdout).not.toContain('layer.js');
    expect(stdout).toContain('  at handler (src/routes.js:7)');
  });

  it('sightline error --all-frames expands library frames', async () => {
    const { stdout } = await run(['error', groupId, '--all-frames']);
    expect(stdout).toContain('Layer.handle (node_modules/express/lib/router/layer.js:95)');
    expect(stdout).not.toContain('library frames');
  });

  it('uses colour only when asked to on a non-terminal, and never with NO_COLOR', async () => {
    expect((await run(['error', groupId], { FORCE_COLOR: '1' })).stdout).toContain(`${ESC}31m`);
    expect((await run(['error', groupId], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toContain(ESC);
  });

  it('sightline traces lists the slowest transactions first', async () => {
    const { code, stdout } = await run(['traces', '--limit', '3']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DURATION\s+TRACE ID\s+WHEN\s+SERVICE\s+RESULT\s+NAME$/);
    expect(lines[1]).toMatch(new RegExp(`^\\s*350 ms\\s+${TRACE_ID}\\s+\\d+m ago\\s+checkout\\s+HTTP 5xx\\s+GET /users/:id$`));
    expect(lines.slice(2).every((line) => /^\s*200 ms .* POST \/pay$/.test(line))).toBe(true);
  });

  it('sightline trace <id> draws an indented waterfall with bars', async () => {
    const { code, stdout } = await run(['trace', TRACE_ID]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const row = (text: string) => lines.find((line) => line.includes(text))!;
    expect(stdout).toContain('1 transaction(s), 2 span(s), 1 error(s)');
    expect(row('GET /users/:id [checkout]')).toMatch(/^GET \/users/);
    expect(row('SELECT * FROM users')).toMatch(/^ {2}SELECT/);
    expect(row('GET upstream')).toMatch(/^ {4}GET upstream/);
    expect(row('! TypeError')).toMatch(/^ {2}! TypeError: user 0x1f not found/);
    const bar = (line: string) => /█+/.exec(line)!;
    const tx = bar(row('GET /users/:id')), db = bar(row('SELECT *')), http = bar(row('GET upstream'));
    // 120 ms of 350 is about a third of the bar; the HTTP call starts after the query's start.
    expect(db[0].length / tx[0].length).toBeCloseTo(120 / 350, 1);
    expect(http.index).toBeGreaterThan(db.index);
    expect(row('GET upstream')).toMatch(/80\.0 ms$/);
  });

  it('answers --json with the API body', async () => {
    const { stdout } = await run(['traces', '--json', '--limit', '1']);
    expect(JSON.parse(stdout).items[0].traceId).toBe(TRACE_ID);
  });

  it('says which credentials are missing when the collector wants them', async () => {
    const { code, stderr } = await sightline(['errors', '--url', collector.url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/authentication required.*--secret-token/);
  });

  it('reports an unknown trace and error group as such', async () => {
    const trace = await run(['trace', 'ffffffffffffffffffffffffffffffff']);
    expect(trace.code).toBe(1);
    expect(trace.stderr).toMatch(/not found/);
    const group = await run(['error', 'fff']);
    expect(group.stderr).toMatch(/no error group starts with 'fff'/);
  });
});

describe('sightline command line handling', () => {
  it('prints help for the program and for each command', async () => {
    const help = await sightline(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['collector', 'errors', 'error <group>', 'traces', 'trace <trace id>']) expect(help.stdout).toContain(command);
    for (const command of ['collector', 'errors', 'error', 'traces', 'trace']) {
      const commandHelp = await sightline([command, '--help']);
      expect(commandHelp.code).toBe(0);
      expect(commandHelp.stdout).toContain(`Usage: sightline ${command}`);
    }
  });

  it.each([
    [['errors', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['traces', '--limit', 'lots'], /--limit must be 1-1000/],
    [['errors', '--since', 'forever'], /--since must look like/],
    [['trace'], /give the trace id/],
    [['collector', '--port', 'eighty'], /--port must be an integer/],
    [['collector', '--retention', 'long'], /--retention must look like/],
  ])('sightline %j exits 2 with a clear message', async (args, message) => {
    const { code, stderr } = await sightline(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('says when no collector is listening', async () => {
    const { code, stderr } = await sightline(['errors', '--url', 'http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot reach the collector at http:\/\/127.0.0.1:9/);
  });
});
