import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg } from '@airlock/common/testing';
import request from 'supertest';
import { provisionMembership } from '@airlock/common';
import { createMember, startRbac, type Member, type RbacHarness } from '../fixtures.js';

// Rule: removing a member ends every credential of that membership. Adding them back — even
// within a second, inside the resolver's clock-skew allowance — must not revive any of them.
describe('a removed member added back at once', () => {
  let h: RbacHarness;
  let orgId: string;
  let owner: Member;

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db)).id;
    owner = await createMember(h.db, orgId, 'owner');
  });
  afterAll(async () => {
    await h.close();
  });

  const removals: Array<[string, (m: Member) => Promise<void>]> = [
    [
      'DELETE /api/v1/members/:userId',
      async (m) => {
        const res = await request(h.app)
          .delete(`/api/v1/members/${m.userId}`)
          .set('Authorization', owner.bearer);
        expect(res.status).toBe(204);
      },
    ],
    [
      'provisionMembership(null) (the SCIM and IdP path)',
      async (m) => {
        await h.db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, m.userId, null));
        await h.rbac.resolver.invalidate({ type: 'user', id: m.userId });
      },
    ],
  ];

  it.each(removals)('%s: neither the old token nor the old session works again', async (_name, remove) => {
    const m = await createMember(h.db, orgId, 'admin');
    const asToken = () => request(h.app).get('/api/v1/members').set('Authorization', m.bearer);
    const asSession = () => request(h.app).get('/api/v1/members').set('Cookie', m.cookie);
    expect((await asToken()).status).toBe(200);
    expect((await asSession()).status).toBe(200);
    await remove(m);
    await h.db.system.membership.create({ data: { orgId, userId: m.userId, role: 'admin' } });
    expect((await asToken()).status).toBe(401);
    expect((await asSession()).status).toBe(401);
  });
});
