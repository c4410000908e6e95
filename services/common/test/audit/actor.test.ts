import { describe, expect, it } from '@jest/globals';
import { auditActorOf } from '../../src/audit/actor.js';
import { BOOTSTRAP_ACTOR, BOOTSTRAP_PRINCIPAL } from '../../src/auth/bootstrap.js';
import type { Principal } from '../../src/auth/principal.js';

const USER = '11111111-1111-4111-8111-111111111111';
const TOKEN = '22222222-2222-4222-8222-222222222222';
const base: Principal = {
  kind: 'session',
  userId: USER,
  email: 'ada@example.com',
  orgId: '33333333-3333-4333-8333-333333333333',
  role: 'admin',
  isPlatformAdmin: false,
  sessionId: 'sess',
  expiresAt: null,
};

// Every service (identity, rbac, gateway, audit) names its actor with this one function, so a
// trail filtered by actor means the same thing whichever service wrote the event.
describe('the audit actor of a principal', () => {
  it('is the token owner for an API-token call, typed token, the same id as their sessions', () => {
    const viaToken = auditActorOf({ ...base, kind: 'api_token', tokenId: TOKEN, sessionId: undefined });
    expect(viaToken).toEqual({ type: 'token', id: USER, email: 'ada@example.com' });
    expect(auditActorOf(base)).toEqual({ type: 'user', id: USER, email: 'ada@example.com' });
  });

  it('is the SCIM token for the IdP, and the bootstrap actor for the bootstrap token', () => {
    expect(auditActorOf({ ...base, kind: 'scim', userId: null, email: null, tokenId: TOKEN })).toEqual({
      type: 'scim',
      id: TOKEN,
      email: null,
    });
    expect(auditActorOf(BOOTSTRAP_PRINCIPAL)).toBe(BOOTSTRAP_ACTOR);
  });
});
