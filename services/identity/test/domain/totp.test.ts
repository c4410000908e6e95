import { describe, expect, it } from '@jest/globals';
import { base32Decode, base32Encode, stepAt, totpAt, verifyTotp } from '../../src/domain/totp.js';

// RFC 6238 appendix B: secret "12345678901234567890" (SHA-1), 8 digits.
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));
const VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('matches the RFC test vector at T=%i', (seconds, code) => {
    expect(totpAt(RFC_SECRET, Math.floor(seconds / 30), 8)).toBe(code);
  });

  it('round-trips base32', () => {
    const bytes = Buffer.from('any bytes at all \x00\xff', 'latin1');
    expect(base32Decode(base32Encode(bytes)).equals(bytes)).toBe(true);
  });

  it('accepts the current code and one step of drift, refuses older ones and reuse', () => {
    const now = new Date('2026-01-01T00:00:10Z');
    const step = stepAt(now);
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step), now, null)).toBe(step);
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step - 1), now, null)).toBe(step - 1);
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step - 2), now, null)).toBeNull();
    // Once step is used, neither it nor an earlier one works again.
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step), now, step)).toBeNull();
    expect(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, step - 1), now, step)).toBeNull();
    expect(verifyTotp(RFC_SECRET, 'abcdef', now, null)).toBeNull();
    expect(verifyTotp(RFC_SECRET, '1234567', now, null)).toBeNull();
  });
});
