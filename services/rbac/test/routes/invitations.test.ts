// Invitations (pending grants for any role): created by POST /api/v1/members for a
// non-member, listed and revoked by owners and admins, expiring, audited. Taking one is
// identity's (member-invitations.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg } from '@airlock/common/testing';
import request from 'supertest';
import { createMember, startRbac, type Member, type RbacHarness } from '../fixtures.js';

describe('/api/v1/members/invitations', () => {
  let h: RbacHarness;
  let orgId: string;
  let owner: Member;
  let admin: Member;
  let member: Member;
  let viewer: Member;

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db, { slug: 'invite-org', allowedEmailDomains: ['invite.example'] })).id;
    owner = await createMember(h.db, orgId, 'owner', 'owner@invite.example');
    admin = await createMember(h.db, orgId, 'admin', 'admin@invite.example');
    member = await createMember(h.db, orgId, 'member', 'member@invite.example');
    viewer = await createMember(h.db, orgId, 'viewer', 'viewer@invite.example');
  });
  afterAll(async () => {
    await h.close();
  });

  const invite = (as: Member, email: string, role: string, extra: object = {}) =>
    request(h.app)
      .post('/api/v1/members')
      .set('Cookie', as.cookie)
      .send({ email, role, ...extra });
  const list = (as: Member) => request(h.app).get('/api/v1/members/invitations').set('Cookie', as.cookie);
  const revoke = (as: Member, id: string) =>
    request(h.app).delete(`/api/v1/members/invitations/${id}`).set('Cookie', as.cookie);

  it('lists the org’s invitations to owners and admins only', async () => {
    const res = await invite(admin, 'new@invite.example', 'viewer', { expiresInDays: 2 });
    expect(res.status).toBe(202);
    for (const who of [owner, admin]) {
      const seen = await list(who);
      expect(seen.status).toBe(200);
      expect(seen.body.data).toEqual([
        expect.objectContaining({ id: res.body.id, role: 'viewer', state: 'open' }),
      ]);
      const one = await request(h.app)
        .get(`/api/v1/members/invitations/${res.body.id}`)
        .set('Cookie', who.cookie);
      expect(one.body).toMatchObject({ email: 'new@invite.example', state: 'open' });
    }
    for (const who of [member, viewer]) {
      expect((await list(who)).status).toBe(403);
      expect((await revoke(who, res.body.id)).status).toBe(403);
      expect((await invite(who, 'x@invite.example', 'viewer')).status).toBe(403);
    }
  });

  it('lets only owners invite or revoke an owner or an admin', async () => {
    expect((await invite(admin, 'boss@invite.example', 'owner')).status).toBe(403);
    expect((await invite(admin, 'peer@invite.example', 'admin')).status).toBe(403);
    const boss = await invite(owner, 'boss@invite.example', 'owner');
    expect(boss.status).toBe(202);
    expect((await revoke(admin, boss.body.id)).status).toBe(403);
    expect((await revoke(owner, boss.body.id)).status).toBe(204);
    const row = await h.db.system.pendingGrant.findUnique({ where: { id: boss.body.id } });
    expect(row?.revokedAt).not.toBeNull();
    expect((await revoke(owner, boss.body.id)).status).toBe(404);
    const revoked = (await h.auditEvents()).filter((e) => e.action === 'member.invitation_revoked');
    expect(revoked.map((e) => [e.target?.id, e.details, e.actor.id])).toEqual([
      [boss.body.id, { role: 'owner' }, owner.userId],
    ]);
  });

  it('expires invitations, shows them as expired, and lets the email be invited again', async () => {
    const first = await invite(owner, 'late@invite.example', 'member');
    expect((await invite(owner, 'late@invite.example', 'member')).status).toBe(409);
    await h.db.system.pendingGrant.update({
      where: { id: first.body.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const seen = (await list(owner)).body.data as { id: string; state: string }[];
    expect(seen.find((g) => g.id === first.body.id)?.state).toBe('expired');
    expect((await revoke(owner, first.body.id)).status).toBe(404);
    const again = await invite(owner, 'late@invite.example', 'member');
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.body.id);
  });

  it('never shows or revokes another org’s invitation', async () => {
    const other = await createOrg(h.db, { slug: 'other-invite-org' });
    const theirs = await h.db.system.pendingGrant.create({
      data: {
        orgId: other.id,
        email: 'theirs@invite.example',
        role: 'member',
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    });
    expect(JSON.stringify((await list(owner)).body)).not.toContain(theirs.id);
    expect(
      (await request(h.app).get(`/api/v1/members/invitations/${theirs.id}`).set('Cookie', owner.cookie))
        .status,
    ).toBe(404);
    expect((await revoke(owner, theirs.id)).status).toBe(404);
    expect((await h.db.system.pendingGrant.findUnique({ where: { id: theirs.id } }))?.revokedAt).toBeNull();
  });
});
