// The platform names an org's first owner by email before that person has an account: a
// pending owner grant (expiring, revocable, audited). Bad input is refused with a code and
// changes nothing. (Taking the grant at sign-in is tested in identity's OIDC suites.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, createPlatformAdmin } from '@airlock/common/testing';
import request from 'supertest';
import { BOOTSTRAP_TOKEN, createMember, startRbac, type RbacHarness } from '../fixtures.js';

describe('/api/v1/orgs/:id/pending-owners', () => {
  let h: RbacHarness;
  let admin: { userId: string; cookie: string };
  let org: { id: string };
  const boot = `Bearer ${BOOTSTRAP_TOKEN}`;

  beforeAll(async () => {
    h = await startRbac();
    admin = await createPlatformAdmin(h.db);
    const res = await request(h.app)
      .post('/api/v1/orgs')
      .set('Authorization', boot)
      .send({ slug: 'pending-co', name: 'Pending Co', allowedEmailDomains: ['pending.example'] });
    org = res.body;
  });
  afterAll(async () => {
    await h.close();
  });

  const grantsOf = (orgId: string) => h.db.system.pendingGrant.findMany({ where: { orgId } });

  it('creates an expiring owner grant with the bootstrap token, audited as the system', async () => {
    const res = await request(h.app)
      .post(`/api/v1/orgs/${org.id}/pending-owners`)
      .set('Authorization', boot)
      .send({ email: 'First.Owner@pending.example', expiresInDays: 3 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ orgId: org.id, email: 'first.owner@pending.example', role: 'owner' });
    const days = (new Date(res.body.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.9);
    expect(days).toBeLessThanOrEqual(3);
    const event = (await h.auditEvents()).find((e) => e.action === 'member.invited');
    expect(event).toMatchObject({
      orgId: org.id,
      actor: { type: 'system', id: 'bootstrap-token' },
      target: { type: 'pending_grant', id: res.body.id },
      details: { role: 'owner' },
    });
    const list = await request(h.app)
      .get(`/api/v1/orgs/${org.id}/pending-owners`)
      .set('Cookie', admin.cookie);
    expect(list.body.data.map((g: { id: string }) => g.id)).toEqual([res.body.id]);
  });

  it('refuses a second open grant for the same email (409) and keeps one', async () => {
    const res = await request(h.app)
      .post(`/api/v1/orgs/${org.id}/pending-owners`)
      .set('Authorization', boot)
      .send({ email: 'first.owner@pending.example' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('grant_exists');
    expect(await grantsOf(org.id)).toHaveLength(1);
  });

  it('refuses an email outside the org’s allowed domains, and bad bodies, changing nothing', async () => {
    for (const body of [
      { email: 'eve@elsewhere.example' },
      { email: 'not-an-email' },
      { email: 'a@pending.example', expiresInDays: 90 },
      { email: 'a@pending.example', role: 'admin' },
    ]) {
      const res = await request(h.app)
        .post(`/api/v1/orgs/${org.id}/pending-owners`)
        .set('Authorization', boot)
        .send(body);
      expect([400, 403]).toContain(res.status);
      expect(['validation_failed', 'email_domain_not_allowed']).toContain(res.body.error.code);
    }
    expect(await grantsOf(org.id)).toHaveLength(1);
  });

  it('refuses a suspended org (409) and an unknown org (404)', async () => {
    const suspended = await createOrg(h.db, { slug: 'sleepy-co' });
    await h.db.system.org.update({ where: { id: suspended.id }, data: { status: 'suspended' } });
    const res = await request(h.app)
      .post(`/api/v1/orgs/${suspended.id}/pending-owners`)
      .set('Authorization', boot)
      .send({ email: 'x@sleepy.example' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('suspended');
    expect(await grantsOf(suspended.id)).toHaveLength(0);
    const unknown = await request(h.app)
      .post('/api/v1/orgs/00000000-0000-4000-8000-000000000000/pending-owners')
      .set('Authorization', boot)
      .send({ email: 'x@pending.example' });
    expect(unknown.status).toBe(404);
  });

  it('is the platform admin’s alone: an org owner gets 403', async () => {
    const owner = await createMember(h.db, org.id, 'owner');
    const res = await request(h.app)
      .post(`/api/v1/orgs/${org.id}/pending-owners`)
      .set('Cookie', owner.cookie)
      .send({ email: 'sneaky@pending.example' });
    expect(res.status).toBe(403);
    expect(await grantsOf(org.id)).toHaveLength(1);
  });

  it('revokes an open grant once, audited; a revoked grant is gone from the open set', async () => {
    const [grant] = await grantsOf(org.id);
    const first = await request(h.app)
      .delete(`/api/v1/orgs/${org.id}/pending-owners/${grant!.id}`)
      .set('Cookie', admin.cookie);
    expect(first.status).toBe(204);
    const again = await request(h.app)
      .delete(`/api/v1/orgs/${org.id}/pending-owners/${grant!.id}`)
      .set('Cookie', admin.cookie);
    expect(again.status).toBe(404);
    expect((await grantsOf(org.id))[0]!.revokedAt).not.toBeNull();
    expect((await h.auditEvents()).some((e) => e.action === 'member.invitation_revoked')).toBe(true);
    // The email can be named again after revocation.
    const renewed = await request(h.app)
      .post(`/api/v1/orgs/${org.id}/pending-owners`)
      .set('Authorization', boot)
      .send({ email: 'first.owner@pending.example' });
    expect(renewed.status).toBe(201);
  });
});
