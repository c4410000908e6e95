import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, createUser } from '@airlock/common/testing';
import request from 'supertest';
import { createMember, startRbac, type Member, type RbacHarness } from '../fixtures.js';

describe('/api/v1/members', () => {
  let h: RbacHarness;
  let orgId: string;
  let owner: Member;
  let admin: Member;

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db, { slug: 'members-org', allowedEmailDomains: ['acme.example'] })).id;
    owner = await createMember(h.db, orgId, 'owner', 'owner@acme.example');
    admin = await createMember(h.db, orgId, 'admin', 'admin@acme.example');
  });
  afterAll(async () => {
    await h.close();
  });

  const roleOf = async (userId: string) =>
    (await h.db.system.membership.findUnique({ where: { orgId_userId: { orgId, userId } } }))?.role ?? null;

  it('lists the org’s members with their roles', async () => {
    const res = await request(h.app).get('/api/v1/members').set('Cookie', admin.cookie);
    expect(res.status).toBe(200);
    expect((res.body.data as { email: string; role: string }[]).map((m) => [m.email, m.role])).toEqual([
      ['owner@acme.example', 'owner'],
      ['admin@acme.example', 'admin'],
    ]);
  });

  it('invites a non-member by email instead of adding them, audited with the role', async () => {
    // An existing account with no org: still only an invitation (their own sign-in completes it).
    const byEmail = await createUser(h.db, { email: 'dev@acme.example' });
    const res = await request(h.app)
      .post('/api/v1/members')
      .set('Cookie', admin.cookie)
      .send({ email: 'DEV@acme.example', role: 'member' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ email: 'dev@acme.example', role: 'member', state: 'open' });
    expect(await roleOf(byEmail.id)).toBeNull();
    const days = (new Date(res.body.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    const invited = (await h.auditEvents()).filter((e) => e.action === 'member.invited');
    expect(invited.map((e) => [e.target, e.details.role, e.actor.id, e.orgId])).toEqual([
      [{ type: 'pending_grant', id: res.body.id }, 'member', admin.userId, orgId],
    ]);
    expect((await h.auditEvents()).filter((e) => e.action === 'member.added')).toEqual([]);
  });

  it('refuses a member twice, a second open invitation, an id that is no member, or a foreign email domain', async () => {
    const m = await createMember(h.db, orgId, 'member', 'already@acme.example');
    const add = (body: object) =>
      request(h.app).post('/api/v1/members').set('Cookie', admin.cookie).send(body);
    expect((await add({ email: 'Already@acme.example', role: 'viewer' })).status).toBe(409);
    expect((await add({ userId: m.userId, role: 'viewer' })).status).toBe(409);
    expect((await add({ email: 'dev@acme.example', role: 'viewer' })).status).toBe(409); // open invitation
    const outsider = await createUser(h.db, { email: 'someone@acme.example' });
    const byId = await add({ userId: outsider.id, role: 'viewer' });
    expect([byId.status, byId.body.error.code]).toEqual([404, 'not_found']);
    expect(await roleOf(outsider.id)).toBeNull();
    const foreign = await add({ email: 'someone@elsewhere.example', role: 'viewer' });
    expect(foreign.status).toBe(403);
    expect(
      await h.db.system.pendingGrant.count({ where: { orgId, email: 'someone@elsewhere.example' } }),
    ).toBe(0);
  });

  it('lets admins manage members and viewers but not admins or owners', async () => {
    const u = await createUser(h.db, { email: 'x1@acme.example' });
    expect(
      (
        await request(h.app)
          .post('/api/v1/members')
          .set('Cookie', admin.cookie)
          .send({ userId: u.id, role: 'admin' })
      ).status,
    ).toBe(403);
    expect(await roleOf(u.id)).toBeNull();
    const other = await createMember(h.db, orgId, 'admin', 'admin2@acme.example');
    expect(
      (
        await request(h.app)
          .patch(`/api/v1/members/${other.userId}`)
          .set('Cookie', admin.cookie)
          .send({ role: 'member' })
      ).status,
    ).toBe(403);
    expect(
      (await request(h.app).delete(`/api/v1/members/${other.userId}`).set('Cookie', admin.cookie)).status,
    ).toBe(403);
    const m = await createMember(h.db, orgId, 'member', 'm1@acme.example');
    // Promoting to admin needs rights over the new role too.
    expect(
      (
        await request(h.app)
          .patch(`/api/v1/members/${m.userId}`)
          .set('Cookie', admin.cookie)
          .send({ role: 'admin' })
      ).status,
    ).toBe(403);
    const down = await request(h.app)
      .patch(`/api/v1/members/${m.userId}`)
      .set('Cookie', admin.cookie)
      .send({ role: 'viewer' });
    expect(down.status).toBe(200);
    expect(await roleOf(m.userId)).toBe('viewer');
    expect(await roleOf(other.userId)).toBe('admin');
  });

  it('lets owners manage admins, audited with before and after roles', async () => {
    const a = await createMember(h.db, orgId, 'admin', 'a3@acme.example');
    const res = await request(h.app)
      .patch(`/api/v1/members/${a.userId}`)
      .set('Cookie', owner.cookie)
      .send({ role: 'member' });
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('member');
    const changed = (await h.auditEvents()).filter(
      (e) => e.action === 'member.role_changed' && e.target?.id === a.userId,
    );
    expect(changed.map((e) => [e.details, e.actor.id])).toEqual([
      [{ before: 'admin', after: 'member' }, owner.userId],
    ]);
  });

  it('applies a role change to the member’s live credentials at once', async () => {
    const a = await createMember(h.db, orgId, 'admin', 'live@acme.example');
    expect((await request(h.app).get('/api/v1/members').set('Authorization', a.bearer)).status).toBe(200);
    await request(h.app)
      .patch(`/api/v1/members/${a.userId}`)
      .set('Cookie', owner.cookie)
      .send({ role: 'viewer' })
      .expect(200);
    expect((await request(h.app).get('/api/v1/members').set('Authorization', a.bearer)).status).toBe(403);
  });

  it('refuses changing your own role or removing yourself', async () => {
    const change = await request(h.app)
      .patch(`/api/v1/members/${owner.userId}`)
      .set('Cookie', owner.cookie)
      .send({ role: 'admin' });
    expect(change.status).toBe(403);
    expect(change.body.error.code).toBe('self_change');
    const remove = await request(h.app).delete(`/api/v1/members/${admin.userId}`).set('Cookie', admin.cookie);
    expect(remove.status).toBe(403);
    expect(remove.body.error.code).toBe('self_change');
    expect(await roleOf(owner.userId)).toBe('owner');
    expect(await roleOf(admin.userId)).toBe('admin');
  });

  it('keeps the last owner: no demotion or removal, even by two owners racing', async () => {
    const org2 = (await createOrg(h.db)).id;
    const o1 = await createMember(h.db, org2, 'owner');
    const o2 = await createMember(h.db, org2, 'owner');
    // Each owner demotes the other at the same moment: exactly one may win.
    const results = await Promise.all([
      request(h.app).patch(`/api/v1/members/${o2.userId}`).set('Cookie', o1.cookie).send({ role: 'admin' }),
      request(h.app).patch(`/api/v1/members/${o1.userId}`).set('Cookie', o2.cookie).send({ role: 'admin' }),
    ]);
    // The loser gets 409 (last owner) if it got the lock while still an owner, or 403 if
    // the winner's demotion reached its credential first; never a second 200.
    const [first, second] = results.map((r) => r.status).sort();
    expect(first).toBe(200);
    expect([403, 409]).toContain(second);
    const owners = await h.db.system.membership.count({ where: { orgId: org2, role: 'owner' } });
    expect(owners).toBe(1);
    const [winner, loser] = results[0]!.status === 200 ? [o1, o2] : [o2, o1];
    // The loser is now an admin and cannot touch the owner; the owner cannot leave alone.
    expect(
      (await request(h.app).delete(`/api/v1/members/${winner.userId}`).set('Cookie', loser.cookie)).status,
    ).toBe(403);
    const again = await request(h.app)
      .patch(`/api/v1/members/${loser.userId}`)
      .set('Cookie', winner.cookie)
      .send({ role: 'owner' });
    expect(again.status).toBe(200);
    const removed = await request(h.app)
      .delete(`/api/v1/members/${loser.userId}`)
      .set('Cookie', winner.cookie);
    expect(removed.status).toBe(204);
    const removedEvent = (await h.auditEvents()).find(
      (e) => e.action === 'member.removed' && e.target?.id === loser.userId,
    );
    expect(removedEvent?.details).toEqual({ role: 'owner' });
  });

  it('audits refused attempts as denied, with the roles involved', async () => {
    const m = await createMember(h.db, orgId, 'member', 'climber@acme.example');
    await request(h.app)
      .patch(`/api/v1/members/${m.userId}`)
      .set('Cookie', admin.cookie)
      .send({ role: 'owner' })
      .expect(403);
    await request(h.app).delete(`/api/v1/members/${owner.userId}`).set('Cookie', admin.cookie).expect(403);
    const denied = (await h.auditEvents()).filter((e) => e.outcome === 'denied');
    expect(denied.map((e) => [e.action, e.target?.id, e.details, e.actor.id])).toEqual(
      expect.arrayContaining([
        ['member.role_changed', m.userId, { before: 'member', after: 'owner' }, admin.userId],
        ['member.removed', owner.userId, { role: 'owner' }, admin.userId],
      ]),
    );
    expect(await roleOf(m.userId)).toBe('member');
  });

  it('answers 404 for a user who is not a member of this org', async () => {
    const elsewhere = await createOrg(h.db);
    const stranger = await createMember(h.db, elsewhere.id, 'member');
    for (const id of [stranger.userId, 'not-a-uuid']) {
      expect(
        (
          await request(h.app)
            .patch(`/api/v1/members/${id}`)
            .set('Cookie', owner.cookie)
            .send({ role: 'viewer' })
        ).status,
      ).toBe(404);
      expect((await request(h.app).delete(`/api/v1/members/${id}`).set('Cookie', owner.cookie)).status).toBe(
        404,
      );
      expect((await request(h.app).get(`/api/v1/members/${id}`).set('Cookie', owner.cookie)).status).toBe(
        404,
      );
    }
    expect(
      (
        await h.db.system.membership.findUnique({
          where: { orgId_userId: { orgId: elsewhere.id, userId: stranger.userId } },
        })
      )?.role,
    ).toBe('member');
  });

  it('refuses a bad body with every problem listed', async () => {
    const res = await request(h.app)
      .post('/api/v1/members')
      .set('Cookie', owner.cookie)
      .send({ role: 'god', extra: true });
    expect(res.status).toBe(400);
    expect((res.body.error.details.problems as { path: string }[]).map((p) => p.path).sort()).toEqual([
      '$',
      '$.role',
    ]);
  });
});
