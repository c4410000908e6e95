// Rule (issue 12 Medium 5): an org sees and touches only its own members. POST /api/v1/members
// never attaches anyone: by email it creates an invitation, by id it knows only its own
// members. The answer is the same whether the email or id is unknown, belongs to another
// tenant (member, SSO identity, SCIM user), a user with no org, or the break-glass account,
// so nothing tells whether an account exists anywhere. (SCIM and IdP sign-ins: identity's
// member-invitations.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, createUser } from '@airlock/common/testing';
import request from 'supertest';
import { createMember, startRbac, type RbacHarness } from '../fixtures.js';

describe('POST /api/v1/members never reaches another tenant’s user', () => {
  let h: RbacHarness;
  let orgId: string;
  let owner: { cookie: string };
  const cases: [label: string, email: string, id: string][] = [];

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db, { slug: 'home-org', allowedEmailDomains: ['shared.example'] })).id;
    owner = await createMember(h.db, orgId, 'owner', 'owner@shared.example');
    const other = await createOrg(h.db, { slug: 'other-org', allowedEmailDomains: ['shared.example'] });
    const member = await createMember(h.db, other.id, 'viewer', 'member@shared.example');
    const scim = await createUser(h.db, { email: 'scim@shared.example' });
    await h.db.system.scimUser.create({ data: { orgId: other.id, userId: scim.id } });
    const connection = await h.db.system.ssoConnection.create({
      data: { orgId: other.id, protocol: 'oidc', name: 'x', config: {} },
    });
    const sso = await createUser(h.db, { email: 'sso@shared.example' });
    await h.db.system.ssoIdentity.create({
      data: { orgId: other.id, connectionId: connection.id, subject: 's', userId: sso.id, groups: [] },
    });
    const root = await createUser(h.db, { email: 'root@shared.example', platformAdmin: true });
    const free = await createUser(h.db, { email: 'free@shared.example' });
    cases.push(
      ['an unknown email', 'nobody@shared.example', '7d0e4c1a-5f7e-4c61-9d9c-0c8f3f6b2a11'],
      ['another org’s member', 'member@shared.example', member.userId],
      ['another org’s SCIM user', 'scim@shared.example', scim.id],
      ['another org’s SSO identity', 'sso@shared.example', sso.id],
      ['the break-glass account', 'root@shared.example', root.id],
      ['an account in no org', 'free@shared.example', free.id],
    );
  });
  afterAll(async () => {
    await h.close();
  });

  const add = (body: object) => request(h.app).post('/api/v1/members').set('Cookie', owner.cookie).send(body);
  /** The answer without what differs per request (ids, the email it names, timestamps). */
  const shape = (res: request.Response) => {
    const body = res.body as Record<string, unknown>;
    if (body.error) {
      const { request_id: _id, ...error } = body.error as Record<string, unknown>;
      return [res.status, error];
    }
    const { id: _i, email: _e, expiresAt: _x, createdAt: _c, ...rest } = body;
    return [res.status, rest];
  };
  const inOrg = (userId: string) => h.db.system.membership.count({ where: { orgId, userId } });

  it('answers every email with the same invitation and attaches nobody', async () => {
    const answers = new Map<string, unknown>();
    for (const [label, email, id] of cases) {
      const res = await add({ email, role: 'member' });
      answers.set(label, shape(res));
      expect(res.body.email).toBe(email);
      expect(await inOrg(id)).toBe(0);
    }
    expect(new Set([...answers.values()].map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers.get('an unknown email')).toEqual([
      202,
      { role: 'member', state: 'open', acceptedAt: null },
    ]);
    expect(await h.db.system.pendingGrant.count({ where: { orgId } })).toBe(cases.length);
  });

  it('answers every id that is no member here exactly alike, and attaches nobody', async () => {
    const answers = new Set<string>();
    for (const [, , id] of cases) {
      const res = await add({ userId: id, role: 'member' });
      expect(res.status).toBe(404);
      answers.add(JSON.stringify(shape(res)));
      expect(await inOrg(id)).toBe(0);
    }
    expect(answers.size).toBe(1);
  });

  it('never puts another tenant’s data in an answer or in the invitation list', async () => {
    const list = await request(h.app).get('/api/v1/members/invitations').set('Cookie', owner.cookie);
    expect(list.status).toBe(200);
    const text = JSON.stringify(list.body);
    for (const [, , id] of cases) expect(text).not.toContain(id);
    expect(text).not.toContain('other-org');
  });
});
