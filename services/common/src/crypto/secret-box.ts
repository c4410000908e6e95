// Secrets at rest (upstream API keys, IdP client secrets, SAML private keys): AES-256-GCM
// with a random 96-bit IV per value and a 128-bit tag. Stored form:
//   v1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>
// The key id makes rotation possible: new values use the current key, old ones still open.
// Optional associated data binds a value to where it is stored (e.g. "upstreams.api_key:<id>"),
// so a ciphertext copied into another row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type SecretBoxFailure = 'malformed' | 'unknown_key' | 'auth_failed';

/** Decryption failed. Carries no plaintext or key material. */
export class SecretBoxError extends Error {
  constructor(readonly reason: SecretBoxFailure) {
    super(`secret could not be decrypted (${reason})`);
    this.name = 'SecretBoxError';
  }
}

export interface SecretBox {
  encrypt(plaintext: string, aad?: string): string;
  decrypt(sealed: string, aad?: string): string;
  /** True when `sealed` was written with an older key and should be re-encrypted. */
  needsRotation(sealed: string): boolean;
}

export function createSecretBox(keyring: Keyring, purpose = 'secrets-at-rest'): SecretBox {
  return {
    encrypt(plaintext, aad = '') {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyring.derive(purpose), iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${keyring.currentId}.${body.toString('base64url')}`;
    },

    decrypt(sealed, aad = '') {
      const parts = sealed.split('.');
      if (parts.length !== 3 || parts[0] !== VERSION) throw new SecretBoxError('malformed');
      const [, keyId, b64] = parts as [string, string, string];
      if (!keyring.has(keyId)) throw new SecretBoxError('unknown_key');
      const body = Buffer.from(b64, 'base64url');
      if (body.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('malformed');
      const iv = body.subarray(0, IV_BYTES);
      const tag = body.subarray(body.length - TAG_BYTES);
      const ciphertext = body.subarray(IV_BYTES, body.length - TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyring.derive(purpose, keyId), iv, {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('auth_failed');
      }
    },

    needsRotation(sealed) {
      return sealed.split('.')[1] !== keyring.currentId;
    },
  };
}
