import { describe, expect, it } from 'vitest';
import { errorFingerprint, normaliseMessage } from '../src/index.js';

describe('error grouping', () => {
  it.each([
    ['user 42 not found', 'user <n> not found'],
    ['user 0x1F not found', 'user <n> not found'],
    ['order 5f2b6e984548ca57 failed', 'order <n> failed'],
    ['row 3fa85f64-5717-4562-b3fc-2c963f66afa6 locked', 'row <n> locked'],
    [`Cannot read properties of undefined (reading 'name')`, 'Cannot read properties of undefined (reading <s>)'],
    ['key "abc" missing after 1.5s', 'key <s> missing after <n>s'],
  ])('normalises %j to %j', (message, expected) => {
    expect(normaliseMessage(message)).toBe(expected);
  });

  it('puts messages that differ only in ids in one group, per service', () => {
    const a = errorFingerprint('api', 'TypeError', 'getUser (src/users.js)', 'user 42 not found');
    expect(errorFingerprint('api', 'TypeError', 'getUser (src/users.js)', 'user 7 not found')).toBe(a);
    expect(errorFingerprint('web', 'TypeError', 'getUser (src/users.js)', 'user 7 not found')).not.toBe(a);
    expect(errorFingerprint('api', 'RangeError', 'getUser (src/users.js)', 'user 7 not found')).not.toBe(a);
    expect(errorFingerprint('api', 'TypeError', 'getOrder (src/orders.js)', 'user 7 not found')).not.toBe(a);
  });
});
