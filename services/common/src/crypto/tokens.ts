import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A bearer secret: "<prefix>_<43 base64url chars>" (256 bits). The prefix makes leaked
 * tokens recognisable to secret scanners; only sha256Hex(token) is ever stored.
 */
export function generateToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function sha256Hex(value: string): string {
  // One-shot: no Hash object per call (every authenticated request hashes its token).
  // crypto.hash: since Node 20.12 (a release candidate there, stable in Node 24).
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison of two strings (for secrets compared outside a hash lookup). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
