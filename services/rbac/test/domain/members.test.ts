import { describe, expect, it } from '@jest/globals';
import { defineAbilityFor, type Role } from '@airlock/common';
import {
  assertMayAdd,
  assertMayChangeRole,
  assertMayRemove,
  emailDomainAllowed,
  type Actor,
} from '../../src/domain/members.js';

const ORG = '11111111-1111-4111-8111-111111111111';
const ME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const YOU = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function actor(role: Role): Actor {
  const ability = defineAbilityFor({
    kind: 'session',
    userId: ME,
    email: null,
    orgId: ORG,
    role,
    isPlatformAdmin: false,
    expiresAt: null,
  });
  return { orgId: ORG, userId: ME, ability };
}

const code = (fn: () => void) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('member rules', () => {
  it.each([
    ['owner', 'owner', 'ok'],
    ['owner', 'admin', 'ok'],
    ['admin', 'admin', 'forbidden'],
    ['admin', 'member', 'ok'],
    ['admin', 'viewer', 'ok'],
    ['member', 'viewer', 'forbidden'],
    ['viewer', 'viewer', 'forbidden'],
  ] as const)('a %s adding a %s: %s', (who, role, expected) => {
    expect(code(() => assertMayAdd(actor(who), YOU, role))).toBe(expected);
  });

  it.each([
    ['owner', 'admin', 'owner', 2, 'ok'],
    ['owner', 'owner', 'admin', 2, 'ok'],
    ['owner', 'owner', 'admin', 1, 'last_owner'],
    ['admin', 'member', 'viewer', 1, 'ok'],
    ['admin', 'member', 'admin', 1, 'forbidden'],
    ['admin', 'admin', 'member', 1, 'forbidden'],
    ['admin', 'owner', 'member', 2, 'forbidden'],
  ] as const)('a %s changing a %s to %s with %i owner(s): %s', (who, from, to, owners, expected) => {
    expect(code(() => assertMayChangeRole(actor(who), { userId: YOU, role: from }, to, owners))).toBe(
      expected,
    );
  });

  it('refuses changing or removing yourself, whatever your role', () => {
    for (const role of ['owner', 'admin'] as const) {
      expect(code(() => assertMayChangeRole(actor(role), { userId: ME, role }, 'viewer', 3))).toBe(
        'self_change',
      );
      expect(code(() => assertMayRemove(actor(role), { userId: ME, role }, 3))).toBe('self_change');
    }
  });

  it('keeps the last owner', () => {
    expect(code(() => assertMayRemove(actor('owner'), { userId: YOU, role: 'owner' }, 1))).toBe('last_owner');
    expect(code(() => assertMayRemove(actor('owner'), { userId: YOU, role: 'owner' }, 2))).toBe('ok');
  });

  it('matches email domains exactly, case-insensitively, and any domain when none are set', () => {
    expect(emailDomainAllowed('a@Acme.example', ['acme.example'])).toBe(true);
    expect(emailDomainAllowed('a@evil.acme.example', ['acme.example'])).toBe(false);
    expect(emailDomainAllowed('a@acme.example.evil', ['acme.example'])).toBe(false);
    expect(emailDomainAllowed('no-at-sign', ['acme.example'])).toBe(false);
    expect(emailDomainAllowed('a@anything.example', [])).toBe(true);
  });
});
