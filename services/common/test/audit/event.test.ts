import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ACTION_DETAILS, AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { AuditEventError, CONTENT_KEYS, parseAuditEvent } from '../../src/audit/event.js';

const base = () => ({
  id: '01936f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f',
  time: '2026-11-25T10:00:00.000Z',
  orgId: randomUUID(),
  actor: { type: 'user', id: 'u1', email: 'a@example.com' },
  action: 'auth.logout',
  target: null,
  outcome: 'success',
  clientIp: null,
  userAgent: null,
  requestId: null,
  details: {},
});

describe('audit event schema', () => {
  it('lists actions sorted, so additions are easy to review', () => {
    expect(AUDIT_ACTIONS).toEqual([...AUDIT_ACTIONS].sort());
  });

  it.each(AUDIT_ACTIONS)('refuses an undeclared details key for %s', (action) => {
    const shape = ACTION_DETAILS[action];
    expect(shape.safeParse({ undeclared: 1 }).success).toBe(false);
  });

  it.each([...CONTENT_KEYS].flatMap((k) => [k, k.toUpperCase(), k[0]!.toUpperCase() + k.slice(1)]))(
    'refuses the content key %s at any depth',
    (key) => {
      expect(() => parseAuditEvent({ ...base(), [key]: 'x' })).toThrow(AuditEventError);
      expect(() =>
        parseAuditEvent({
          ...base(),
          action: 'org.updated',
          details: { fields: ['name'], nested: { [key]: 'x' } },
        }),
      ).toThrow(/content fields are never audited/);
    },
  );

  it('accepts a well-formed event and rejects an unknown action or a malformed id', () => {
    expect(parseAuditEvent(base()).action).toBe('auth.logout');
    expect(() => parseAuditEvent({ ...base(), action: 'prompt.logged' })).toThrow(/action/);
    expect(() => parseAuditEvent({ ...base(), id: 'not-a-uuid' })).toThrow(/id/);
    expect(() => parseAuditEvent({ ...base(), extra: true })).toThrow(AuditEventError);
  });
});
