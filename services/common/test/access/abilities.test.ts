import { describe, expect, it } from '@jest/globals';
import {
  defineAbilityFor,
  globToRegex,
  matchesModelGlob,
  refusalReason,
  ROLES,
  SELF_CHANGE,
  subject,
  type Action,
  type SubjectName,
} from '../../src/access/abilities.js';
import type { Principal } from '../../src/auth/principal.js';
import type { Role } from '../../src/generated/prisma/enums.js';

const ORG = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const ME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const YOU = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function principal(role: Role | null, overrides: Partial<Principal> = {}): Principal {
  return {
    kind: 'session',
    userId: ME,
    email: 'me@example.com',
    orgId: ORG,
    role,
    isPlatformAdmin: false,
    expiresAt: null,
    ...overrides,
  };
}

type Check = [Action, Exclude<SubjectName, 'all'>, Record<string, unknown>];

// What each role may do in its own org. One row per question; columns owner, admin, member, viewer.
const TABLE: [string, Check, [boolean, boolean, boolean, boolean]][] = [
  ['read the org', ['read', 'Org', { id: ORG }], [true, true, true, true]],
  ['update the org', ['update', 'Org', { id: ORG }], [true, false, false, false]],
  ['read the full policy', ['read', 'Policy', { orgId: ORG }], [true, true, false, false]],
  [
    'read own effective policy',
    ['read', 'EffectivePolicy', { orgId: ORG, userId: ME }],
    [true, true, true, true],
  ],
  [
    "read another member's effective policy",
    ['read', 'EffectivePolicy', { orgId: ORG, userId: YOU }],
    [true, true, false, false],
  ],
  ['change the policy', ['update', 'Policy', { orgId: ORG }], [true, true, false, false]],
  ['read own usage', ['read', 'Usage', { orgId: ORG, userId: ME }], [true, true, true, true]],
  ["read someone else's usage", ['read', 'Usage', { orgId: ORG, userId: YOU }], [true, true, false, false]],
  ['list members', ['read', 'Member', { orgId: ORG }], [true, true, false, false]],
  [
    'add a viewer',
    ['create', 'Member', { orgId: ORG, userId: YOU, role: 'viewer' }],
    [true, true, false, false],
  ],
  [
    'add an admin',
    ['create', 'Member', { orgId: ORG, userId: YOU, role: 'admin' }],
    [true, false, false, false],
  ],
  [
    'add an owner',
    ['create', 'Member', { orgId: ORG, userId: YOU, role: 'owner' }],
    [true, false, false, false],
  ],
  [
    're-role a member',
    ['update', 'Member', { orgId: ORG, userId: YOU, role: 'member' }],
    [true, true, false, false],
  ],
  [
    're-role an admin',
    ['update', 'Member', { orgId: ORG, userId: YOU, role: 'admin' }],
    [true, false, false, false],
  ],
  [
    'remove an owner',
    ['delete', 'Member', { orgId: ORG, userId: YOU, role: 'owner' }],
    [true, false, false, false],
  ],
  [
    'change own role',
    ['update', 'Member', { orgId: ORG, userId: ME, role: 'viewer' }],
    [false, false, false, false],
  ],
  [
    'remove themselves',
    ['delete', 'Member', { orgId: ORG, userId: ME, role: 'viewer' }],
    [false, false, false, false],
  ],
  ['create own API token', ['create', 'ApiToken', { orgId: ORG, userId: ME }], [true, true, true, false]],
  [
    "revoke someone else's API token",
    ['delete', 'ApiToken', { orgId: ORG, userId: YOU, userRole: 'member' }],
    [true, true, false, false],
  ],
  [
    "revoke another admin's API token",
    ['delete', 'ApiToken', { orgId: ORG, userId: YOU, userRole: 'admin' }],
    [true, true, false, false],
  ],
  [
    "revoke an owner's API token",
    ['delete', 'ApiToken', { orgId: ORG, userId: YOU, userRole: 'owner' }],
    [true, false, false, false],
  ],
  [
    "revoke a token whose user's role is not given",
    ['delete', 'ApiToken', { orgId: ORG, userId: YOU }],
    [true, false, false, false],
  ],
  [
    "end a member's sessions",
    ['delete', 'Session', { orgId: ORG, userId: YOU, userRole: 'member' }],
    [true, true, false, false],
  ],
  [
    "end an owner's sessions",
    ['delete', 'Session', { orgId: ORG, userId: YOU, userRole: 'owner' }],
    [true, false, false, false],
  ],
  ['read audit events', ['read', 'AuditEvent', { orgId: ORG }], [true, true, false, false]],
  ['export audit events', ['export', 'AuditEvent', { orgId: ORG }], [true, true, false, false]],
  ['manage SSO', ['update', 'SsoConnection', { orgId: ORG }], [true, false, false, false]],
  ['read SSO', ['read', 'SsoConnection', { orgId: ORG }], [true, true, false, false]],
  ['create SCIM token', ['create', 'ScimToken', { orgId: ORG }], [true, false, false, false]],
  // Rotation hands out the new secret: only the token's own user, never an owner for them.
  [
    "rotate someone else's API token",
    ['update', 'ApiToken', { orgId: ORG, userId: YOU }],
    [false, false, false, false],
  ],
  ['rotate own API token', ['update', 'ApiToken', { orgId: ORG, userId: ME }], [true, true, true, false]],
  ['list own API tokens', ['read', 'ApiToken', { orgId: ORG, userId: ME }], [true, true, true, true]],
  ["list the org's API tokens (anyone's)", ['read', 'ApiToken', { orgId: ORG }], [true, true, false, false]],
  ['end own session', ['delete', 'Session', { orgId: ORG, userId: ME }], [true, true, true, true]],
];

describe('defineAbilityFor', () => {
  describe.each(TABLE)('may %s', (_name, [action, type, fields], expected) => {
    it.each(ROLES.map((role, i) => [role, expected[i]!] as const))('as %s: %s', (role, allowed) => {
      expect(defineAbilityFor(principal(role)).can(action, subject(type, fields))).toBe(allowed);
    });
  });

  it.each(ROLES)('never lets a %s act on another org', (role) => {
    const ability = defineAbilityFor(principal(role), { allowedModels: ['*'] });
    for (const [, [action, type, fields]] of TABLE) {
      const elsewhere = 'orgId' in fields ? { ...fields, orgId: OTHER } : { ...fields, id: OTHER };
      expect(ability.can(action, subject(type, elsewhere))).toBe(false);
    }
  });

  it('lets members use only the models their role is allowed, and viewers none', () => {
    const member = defineAbilityFor(principal('member'), { allowedModels: ['llama-3.*', 'qwen2.5-coder'] });
    expect(member.can('use', subject('Model', { name: 'llama-3.1-70b' }))).toBe(true);
    expect(member.can('use', subject('Model', { name: 'qwen2.5-coder' }))).toBe(true);
    expect(member.can('use', subject('Model', { name: 'qwen2.5-coder-32b' }))).toBe(false);
    expect(member.can('use', subject('Model', { name: 'llama-30' }))).toBe(false);
    expect(member.can('use', subject('Model', { name: 'gpt-4o' }))).toBe(false);
    const viewer = defineAbilityFor(principal('viewer'), { allowedModels: ['*'] });
    expect(viewer.can('use', subject('Model', { name: 'llama-3.1-70b' }))).toBe(false);
    expect(defineAbilityFor(principal('owner')).can('use', subject('Model', { name: 'x' }))).toBe(false);
  });

  // Gateway: GET /v1/models authorizes 'read Model'; the list then holds what 'use' grants.
  it.each(ROLES)('lets a %s list its org’s models, and nobody without an org role', (role) => {
    expect(defineAbilityFor(principal(role)).can('read', 'Model')).toBe(true);
    expect(defineAbilityFor(principal(null)).can('read', 'Model')).toBe(false);
    const platform = principal(null, { orgId: null, isPlatformAdmin: true });
    expect(defineAbilityFor(platform).can('read', 'Model')).toBe(false);
  });

  // Like every org rule, 'read Model' carries the org: a platform-scope check (a subject with
  // no fields) or another org's subject must not match it.
  it.each(ROLES)('scopes a %s’s model list to its own org', (role) => {
    const ability = defineAbilityFor(principal(role), { allowedModels: ['*'] });
    expect(ability.can('read', subject('Model', { orgId: ORG }))).toBe(true);
    expect(ability.can('read', subject('Model', { orgId: OTHER }))).toBe(false);
    expect(ability.can('read', subject('Model', {}))).toBe(false);
  });

  it('gives a platform admin the platform, not the tenants', () => {
    const ability = defineAbilityFor(principal(null, { orgId: null, isPlatformAdmin: true }), {
      allowedModels: ['*'],
    });
    expect(ability.can('create', subject('Org', { id: OTHER }))).toBe(true);
    expect(ability.can('update', subject('Org', { id: OTHER }))).toBe(true);
    expect(ability.can('read', subject('AuditEvent', { orgId: OTHER }))).toBe(true);
    expect(ability.can('use', subject('Model', { name: 'llama-3' }))).toBe(false);
    expect(ability.can('update', subject('Policy', { orgId: OTHER }))).toBe(false);
    expect(ability.can('update', subject('Member', { orgId: OTHER, userId: YOU, role: 'member' }))).toBe(
      false,
    );
    expect(ability.can('create', subject('ApiToken', { orgId: OTHER, userId: ME }))).toBe(false);
  });

  // identity's DELETE /auth/users/:userId/sessions: an org-less platform admin names no org
  // (the subject has none) and may end only their own sessions, in every org.
  it('lets a platform admin end their own sessions everywhere, and nobody else’s', () => {
    const ability = defineAbilityFor(principal(null, { orgId: null, isPlatformAdmin: true }));
    expect(ability.can('delete', subject('Session', { userId: ME, userRole: null }))).toBe(true);
    expect(ability.can('delete', subject('Session', { userId: YOU, userRole: null }))).toBe(false);
    expect(ability.can('delete', subject('Session', { orgId: OTHER, userId: YOU, userRole: 'member' }))).toBe(
      false,
    );
    // The bootstrap token is no person: it has no sessions to end.
    const bootstrap = defineAbilityFor(principal(null, { userId: null, orgId: null, isPlatformAdmin: true }));
    expect(bootstrap.can('delete', subject('Session', { userId: ME }))).toBe(false);
  });

  it('grants nothing to a principal without an org role, or with an unknown one', () => {
    for (const p of [principal(null), principal('superuser' as Role), principal('owner', { orgId: null })]) {
      const ability = defineAbilityFor(p, { allowedModels: ['*'] });
      expect(ability.rules).toEqual([]);
    }
  });

  it('does not tag the caller’s object when making a subject', () => {
    const fields = { orgId: ORG };
    subject('Policy', fields);
    expect(Object.keys(fields)).toEqual(['orgId']);
  });
});

// rbac: which rule refuses, so the member routes answer self_change rather than plain forbidden.
// Columns owner, admin, member, viewer; null: no reason (allowed, or refused by no rule at all).
const REASONS: [string, Check, [string | null, string | null, string | null, string | null]][] = [
  [
    'change own role',
    ['update', 'Member', { orgId: ORG, userId: ME, role: 'viewer' }],
    [SELF_CHANGE, SELF_CHANGE, SELF_CHANGE, SELF_CHANGE],
  ],
  [
    'remove themselves',
    ['delete', 'Member', { orgId: ORG, userId: ME, role: 'owner' }],
    [SELF_CHANGE, SELF_CHANGE, SELF_CHANGE, SELF_CHANGE],
  ],
  [
    're-role an admin',
    ['update', 'Member', { orgId: ORG, userId: YOU, role: 'admin' }],
    [null, null, null, null],
  ],
  [
    'add a member nobody is yet (no userId)',
    ['create', 'Member', { orgId: ORG, role: 'owner' }],
    [null, null, null, null],
  ],
];

describe('refusalReason', () => {
  describe.each(REASONS)('for %s', (_name, [action, type, fields], expected) => {
    it.each(ROLES.map((role, i) => [role, expected[i]!] as const))('as %s: %s', (role, reason) => {
      expect(refusalReason(defineAbilityFor(principal(role)), action, type, fields)).toBe(reason);
    });
  });

  it('adds someone new without tripping the self rule (no sentinel id needed)', () => {
    const admin = defineAbilityFor(principal('admin'));
    expect(admin.can('create', subject('Member', { orgId: ORG, role: 'viewer' }))).toBe(true);
    expect(admin.can('create', subject('Member', { orgId: ORG, role: 'admin' }))).toBe(false);
  });
});
// end rbac

describe('model globs', () => {
  it('anchors and escapes everything but *', () => {
    expect(globToRegex('llama-3.*')).toBe('^llama-3\\..*$');
    expect(matchesModelGlob('llama-3.1', ['llama-3.*'])).toBe(true);
    expect(matchesModelGlob('xllama-3.1', ['llama-3.*'])).toBe(false);
    expect(matchesModelGlob('a(b)', ['a(b)'])).toBe(true);
    expect(matchesModelGlob('anything', ['*'])).toBe(true);
    expect(matchesModelGlob('anything', [])).toBe(false);
  });
});
