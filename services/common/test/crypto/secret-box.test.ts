import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseKeyring } from '../../src/crypto/keyring.js';
import { createSecretBox, SecretBoxError } from '../../src/crypto/secret-box.js';

const key = () => randomBytes(32).toString('base64');

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SecretBoxError);
    return (e as SecretBoxError).reason;
  }
  throw new Error('expected decryption to fail');
}

/** Flips one bit of the sealed body at `offset` (from the end when negative). */
function flip(sealed: string, offset: number): string {
  const [v, id, b64] = sealed.split('.') as [string, string, string];
  const body = Buffer.from(b64, 'base64url');
  const i = offset < 0 ? body.length + offset : offset;
  body[i] = body[i]! ^ 0x01;
  return `${v}.${id}.${body.toString('base64url')}`;
}

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(parseKeyring(key()));

  it('round-trips unicode and empty values', () => {
    for (const value of ['sk-live-123', '', 'пароль 🔑', 'x'.repeat(10_000)]) {
      expect(box.decrypt(box.encrypt(value))).toBe(value);
    }
  });

  it('uses a fresh 96-bit IV for every value', () => {
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    expect(a).not.toBe(b);
    const iv = (s: string) => Buffer.from(s.split('.')[2]!, 'base64url').subarray(0, 12).toString('hex');
    expect(iv(a)).not.toBe(iv(b));
  });

  it('writes the format version and key id in the clear, never the plaintext', () => {
    const sealed = box.encrypt('super-secret-value');
    expect(sealed).toMatch(/^v1\.1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('super-secret');
  });

  it('detects a tampered IV, ciphertext or tag', () => {
    const sealed = box.encrypt('payload');
    expect(failure(() => box.decrypt(flip(sealed, 0)))).toBe('auth_failed'); // IV
    expect(failure(() => box.decrypt(flip(sealed, 12)))).toBe('auth_failed'); // ciphertext
    expect(failure(() => box.decrypt(flip(sealed, -1)))).toBe('auth_failed'); // tag
  });

  it('refuses a value sealed with another key', () => {
    const other = createSecretBox(parseKeyring(key()));
    expect(failure(() => box.decrypt(other.encrypt('payload')))).toBe('auth_failed');
  });

  it('refuses a value moved to another row (associated data mismatch)', () => {
    const sealed = box.encrypt('payload', 'upstreams.api_key:1');
    expect(box.decrypt(sealed, 'upstreams.api_key:1')).toBe('payload');
    expect(failure(() => box.decrypt(sealed, 'upstreams.api_key:2'))).toBe('auth_failed');
  });

  it('keeps purposes apart: a value sealed for one purpose does not open under another', () => {
    const ring = parseKeyring(key());
    const sealed = createSecretBox(ring, 'secrets-at-rest').encrypt('payload');
    expect(failure(() => createSecretBox(ring, 'session-cookies').decrypt(sealed))).toBe('auth_failed');
  });

  it('rejects malformed input and unknown key ids', () => {
    expect(failure(() => box.decrypt('not-a-secret'))).toBe('malformed');
    expect(failure(() => box.decrypt('v2.1.AAAA'))).toBe('malformed');
    expect(failure(() => box.decrypt('v1.1.AAAA'))).toBe('malformed');
    expect(failure(() => box.decrypt(box.encrypt('x').replace('v1.1.', 'v1.9.')))).toBe('unknown_key');
  });

  it('rotates: old values still open, new values use the new key, needsRotation tells which', () => {
    const oldKey = key();
    const before = createSecretBox(parseKeyring(oldKey));
    const sealedOld = before.encrypt('legacy');
    const after = createSecretBox(parseKeyring(`2:${key()},1:${oldKey}`));
    expect(after.decrypt(sealedOld)).toBe('legacy');
    expect(after.needsRotation(sealedOld)).toBe(true);
    const sealedNew = after.encrypt('fresh');
    expect(sealedNew.startsWith('v1.2.')).toBe(true);
    expect(after.needsRotation(sealedNew)).toBe(false);
    expect(failure(() => before.decrypt(sealedNew))).toBe('unknown_key');
  });
});

describe('key ring parsing', () => {
  it.each([
    ['', /no key/],
    ['c2hvcnQ=', /exactly 32 bytes/],
    [`bad id!:${randomBytes(32).toString('base64')}`, /key id/],
    [`a:${randomBytes(32).toString('base64')},a:${randomBytes(32).toString('base64')}`, /appears twice/],
    [`${randomBytes(32).toString('base64')}!!`, /exactly 32 bytes/],
  ])('rejects %j', (value, message) => {
    expect(() => parseKeyring(value)).toThrow(message);
  });

  it('takes the first entry as the current key', () => {
    expect(parseKeyring(`k7:${key()},k6:${key()}`).currentId).toBe('k7');
  });
});
