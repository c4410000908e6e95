import { describe, expect, it } from '@jest/globals';
import { emailDomainAllowed, mapRole, normaliseGroups } from '../../src/domain/role-mapping.js';
import { safeReturnTo } from '../../src/domain/sso-login.js';

describe('group to role mapping', () => {
  const map = { admins: 'admin', owners: 'owner', viewers: 'viewer' } as const;

  it('picks the most powerful mapped role', () => {
    expect(mapRole(['viewers', 'admins'], map, 'member', false)).toBe('admin');
    expect(mapRole(['viewers', 'owners', 'admins'], map, 'member', false)).toBe('owner');
  });

  it('falls back to the default role, or to no access when a mapped group is required', () => {
    expect(mapRole(['other'], map, 'member', false)).toBe('member');
    expect(mapRole([], map, 'viewer', false)).toBe('viewer');
    expect(mapRole(['other'], map, 'member', true)).toBeNull();
  });

  it('is not fooled by inherited object keys or case differences', () => {
    expect(mapRole(['constructor', '__proto__', 'toString'], map, 'member', true)).toBeNull();
    expect(mapRole(['ADMINS'], map, 'member', true)).toBeNull();
  });

  it('normalises the groups claim: string, array, junk, bounded', () => {
    expect(normaliseGroups('admins')).toEqual(['admins']);
    expect(normaliseGroups(['a', 'a', 3, null, '', 'b'])).toEqual(['a', 'b']);
    expect(normaliseGroups({ a: 1 })).toEqual([]);
    expect(normaliseGroups(Array.from({ length: 5000 }, (_, i) => `g${i}`))).toHaveLength(1000);
  });

  it('checks the email domain exactly, case-insensitively, with an empty list allowing all', () => {
    expect(emailDomainAllowed('a@Corp.Example', ['corp.example'])).toBe(true);
    expect(emailDomainAllowed('a@evilcorp.example', ['corp.example'])).toBe(false);
    expect(emailDomainAllowed('a@corp.example.evil', ['corp.example'])).toBe(false);
    expect(emailDomainAllowed('a@x@corp.example', ['corp.example'])).toBe(true);
    expect(emailDomainAllowed('a@anything', [])).toBe(true);
  });
});

describe('returnTo after sign-in', () => {
  it.each([
    ['/api/v1/me', '/api/v1/me'],
    [undefined, '/'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/ok?x=1', '/ok?x=1'],
    ['/with space', '/'],
  ])('maps %p to %p (same-site paths only)', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });
});
