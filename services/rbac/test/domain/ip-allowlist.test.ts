import { describe, expect, it } from '@jest/globals';
import { ipAllowed } from '../../src/domain/ip-allowlist.js';

describe('ipAllowed', () => {
  it('admits anything when the list is empty', () => {
    expect(ipAllowed('203.0.113.9', [])).toBe(true);
    expect(ipAllowed(undefined, [])).toBe(true);
  });

  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['10.1.2.3', ['10.1.2.3'], true],
    ['10.1.2.4', ['10.1.2.3'], false],
    ['11.0.0.1', ['10.0.0.0/8'], false],
    ['::ffff:10.1.2.3', ['10.0.0.0/8'], true],
    ['10.1.2.3', ['::ffff:10.0.0.0/104'], true],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['2001:db8::1', ['10.0.0.0/8'], false],
    ['0.0.0.0', ['0.0.0.0/0'], true],
  ])('%s in %j is %s', (ip, list, expected) => {
    expect(ipAllowed(ip, list)).toBe(expected);
  });

  it('fails closed on a missing or malformed address, and skips malformed entries', () => {
    expect(ipAllowed(undefined, ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('10.0.0.1', ['garbage', '10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('10.0.0.1', ['garbage'])).toBe(false);
  });
});
