// Upstream API keys inside a policy document. The API accepts `apiKey` in clear, rbac seals
// it into `apiKeyEnc` before the document is stored, and only the gateway opens it, in
// memory, for the call that needs it. The associated data binds a sealed key to its org and
// upstream name, so a ciphertext copied into another org's policy, or onto another upstream,
// does not open.
import type { Keyring } from '../crypto/keyring.js';
import { createSecretBox } from '../crypto/secret-box.js';

/**
 * HKDF purpose: the secret box's default (secrets at rest), which the gateway already opens
 * these keys with; the associated data below keeps them apart from every other secret.
 */
export const UPSTREAM_KEY_PURPOSE = 'secrets-at-rest';

/** Binds a sealed key to its org and upstream name (the gateway opens with the same). */
export function upstreamKeyAad(orgId: string, upstreamName: string): string {
  return `org_policies.upstream:${orgId}:${upstreamName}`;
}

export interface UpstreamKeyBox {
  seal(orgId: string, upstreamName: string, apiKey: string): string;
  /** Throws SecretBoxError when the value was not sealed for this org and upstream. */
  open(orgId: string, upstreamName: string, apiKeyEnc: string): string;
}

export function createUpstreamKeyBox(keyring: Keyring): UpstreamKeyBox {
  const box = createSecretBox(keyring, UPSTREAM_KEY_PURPOSE);
  return {
    seal: (orgId, name, apiKey) => box.encrypt(apiKey, upstreamKeyAad(orgId, name)),
    open: (orgId, name, apiKeyEnc) => box.decrypt(apiKeyEnc, upstreamKeyAad(orgId, name)),
  };
}
