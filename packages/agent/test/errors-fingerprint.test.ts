import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { fingerprint, normalizeMessage } from '../src/errors/fingerprint.js';
import { ErrorReporter } from '../src/errors/reporter.js';
import { parseFrame } from '../src/errors/stack.js';
import { Tracer } from '../src/trace/tracer.js';

const require = createRequire(import.meta.url);
const plain = require(join(import.meta.dirname, 'fixtures/errors/plain/thrower.cjs')) as { makeWidget(size: number): unknown };

describe('message normalisation', () => {
  test.each([
    ['user 4123 not found', 'user <num> not found'],
    ['order 5f3a9c2e1b7d4e8f9a0b1c2d is locked', 'order <hex> is locked'],
    ['session 0x7ffe12 expired', 'session <hex> expired'],
    ['row 3f2504e0-4f89-11d3-9a0c-0305e82c3301 vanished', 'row <uuid> vanished'],
    [`cannot read property 'email' of undefined`, 'cannot read property <str> of undefined'],
    ['column "user_id" does not exist', 'column <str> does not exist'],
    [`can't find user 'bob'`, `can't find user <str>`],
    ['took 12.5 ms\n  at   shard 3', 'took <num> ms at shard <num>'],
  ])('%j -> %j', (message, normalized) => {
    expect(normalizeMessage(message)).toBe(normalized);
  });

  test('a word is not mistaken for a hex id', () => {
    expect(normalizeMessage('deadbeef cafebabe facade')).toBe('deadbeef cafebabe facade');
  });
});

describe('fingerprint', () => {
  const frame = parseFrame('getUser (/srv/app/src/users.js:10:5)', '/srv/app');
  const moved = parseFrame('getUser (/srv/app/src/users.js:99:1)', '/srv/app');

  test('ignores ids in the message and line numbers, which change between occurrences and deploys', () => {
    const a = fingerprint('NotFoundError', frame, 'user 17 not found');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(fingerprint('NotFoundError', moved, 'user 9000 not found')).toBe(a);
  });

  test('differs by type, by blamed function or file, and by message', () => {
    const a = fingerprint('NotFoundError', frame, 'user 17 not found');
    expect(fingerprint('TypeError', frame, 'user 17 not found')).not.toBe(a);
    expect(fingerprint('NotFoundError', parseFrame('getOrder (/srv/app/src/users.js:10:5)', '/srv/app'), 'user 17 not found')).not.toBe(a);
    expect(fingerprint('NotFoundError', parseFrame('getUser (/srv/app/src/admin.js:10:5)', '/srv/app'), 'user 17 not found')).not.toBe(a);
    expect(fingerprint('NotFoundError', frame, 'order 17 not found')).not.toBe(a);
  });

  test('the same error thrown twice with different ids is one group; another type is another', async () => {
    const events: Array<Record<string, any>> = [];
    const tracer = new Tracer(readConfig({ serviceName: 'fp-test' }, {}), { send: (_k, e) => events.push(e as Record<string, any>) > 0 });
    const reporter = new ErrorReporter(tracer);
    for (const size of [-1, -250]) {
      try {
        plain.makeWidget(size);
      } catch (err) {
        reporter.capture(err);
      }
    }
    // Same frames and message, another type.
    try {
      plain.makeWidget(-1);
    } catch (err) {
      (err as Error).name = 'TypeError';
      reporter.capture(err);
    }
    await reporter.pending();
    const fps = events.map((e) => e.exception.attributes.fingerprint as string);
    expect(events.map((e) => e.exception.message)).toEqual(['size -1 is negative', 'size -250 is negative', 'size -1 is negative']);
    expect(fps[0]).toBe(fps[1]);
    expect(fps[2]).not.toBe(fps[0]);
  });
});
