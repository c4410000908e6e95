// Rule (issue 12 Medium 5): an org sees and touches only its own members. Adding a user that
// another org holds, or the break-glass account, is refused exactly like an unknown user, so
// the answer never tells whether an email exists in another tenant.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createMember, createOrg, createUser, startRbac, type RbacHarness } from '../fixtures.js';

describe('POST /api/v1/members never reaches another tenant’s user', () => {
  let h: RbacHarness;
  let orgId: string;
  let owner: { cookie: string };

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db, 'home-org', ['shared.example'])).id;
    owner = await createMember(h.db, orgId, 'owner', 'owner@shared.example');
  });
  afterAll(async () => {
    await h.close();
  });

  const add = (body: object) => request(h.app).post('/api/v1/members').set('Cookie', owner.cookie).send(body);
  /** The answer without its per-request id. */
  const answer = (res: request.Response) => {
    const { request_id: _id, ...error } = res.body.error as Record<string, unknown>;
    return [res.status, error];
  };
  const inOrg = (userId: string) => h.db.system.membership.count({ where: { orgId, userId } });

  it('answers a member of another org, its SSO or SCIM user, and the break-glass account like an unknown email', async () => {
    const other = await createOrg(h.db, 'other-org', ['shared.example']);
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

    const unknown = await add({ email: 'nobody@shared.example', role: 'member' });
    expect(unknown.status).toBe(404);
    for (const [email, id] of [
      ['member@shared.example', member.userId],
      ['scim@shared.example', scim.id],
      ['sso@shared.example', sso.id],
      ['root@shared.example', root.id],
    ] as const) {
      for (const body of [
        { email, role: 'member' },
        { userId: id, role: 'member' },
      ]) {
        const res = await add(body);
        expect(answer(res)).toEqual(answer(unknown));
      }
      expect(await inOrg(id)).toBe(0);
    }
  });

  it('still adds a user no other org holds', async () => {
    const free = await createUser(h.db, { email: 'free@shared.example' });
    const res = await add({ email: 'free@shared.example', role: 'member' });
    expect(res.status).toBe(201);
    expect(await inOrg(free.id)).toBe(1);
  });
});
