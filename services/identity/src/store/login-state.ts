// The short-lived state of an SSO sign-in between the redirect to the IdP and its answer:
// kept in Redis (shared by every replica), read once (GETDEL, so a state cannot be replayed),
// and bound to the browser that started it by a random value in an HttpOnly cookie.
import { randomBytes } from 'node:crypto';
import { sha256Hex, type RedisHandle } from '@airlock/common';

const KEY = (id: string) => `airlock:sso:login:${sha256Hex(id)}`;

export interface LoginState {
  protocol: 'oidc' | 'saml';
  orgId: string;
  connectionId: string;
  /** sha256 of the browser-binding cookie value (null: not bound, SAML over plain http). */
  binding: string | null;
  returnTo: string;
  nonce?: string;
  codeVerifier?: string;
  /** SAML: the AuthnRequest ID the Response must answer (InResponseTo). */
  samlRequestId?: string;
  /** A test sign-in by this admin: report the result, sign nobody in (domain/sso-test.ts). */
  test?: { userId: string };
}

export function newBinding(): string {
  return randomBytes(32).toString('base64url');
}

export async function saveLoginState(redis: RedisHandle, id: string, state: LoginState, ttlSeconds: number) {
  await redis.client.set(KEY(id), JSON.stringify(state), 'EX', ttlSeconds);
}

/** Reads and deletes the state; null when unknown, expired or already used. */
export async function takeLoginState(redis: RedisHandle, id: string): Promise<LoginState | null> {
  const raw = await redis.client.getdel(KEY(id));
  return raw ? (JSON.parse(raw) as LoginState) : null;
}
