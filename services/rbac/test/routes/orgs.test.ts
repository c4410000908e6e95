import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, createPlatformAdmin, createUser } from '@airlock/common/testing';
import request from 'supertest';
import { BOOTSTRAP_TOKEN, createMember, startRbac, type RbacHarness } from '../fixtures.js';

describe('/api/v1/orgs', () => {
  let h: RbacHarness;
  let admin: { userId: string; cookie: string };

  beforeAll(async () => {
    h = await startRbac();
    admin = await createPlatformAdmin(h.db);
  });
  afterAll(async () => {
    await h.close();
  });

  it('lets the platform admin create an org with allowed email domains and a first owner', async () => {
    const owner = await createUser(h.db, { email: 'boss@acme.example' });
    const res = await request(h.app)
      .post('/api/v1/orgs')
      .set('Cookie', admin.cookie)
      .send({
        slug: 'acme',
        name: 'Acme',
        allowedEmailDomains: ['ACME.example'],
        ownerEmail: 'boss@acme.example',
      });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      slug: 'acme',
      name: 'Acme',
      status: 'active',
      allowedEmailDomains: ['acme.example'],
    });
    const membership = await h.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: res.body.id, userId: owner.id } },
    });
    expect(membership?.role).toBe('owner');
    const events = await h.auditEvents();
    expect(
      events.filter((e) => e.orgId === res.body.id).map((e) => [e.action, e.details, e.actor.id]),
    ).toEqual([
      ['org.created', { slug: 'acme' }, admin.userId],
      ['member.added', { role: 'owner' }, admin.userId],
    ]);
  });

  it('accepts the bootstrap token as the platform admin and audits it as the system', async () => {
    const res = await request(h.app)
      .post('/api/v1/orgs')
      .set('Authorization', `Bearer ${BOOTSTRAP_TOKEN}`)
      .send({ slug: 'bootstrapped', name: 'Boot' });
    expect(res.status).toBe(201);
    const created = (await h.auditEvents()).find((e) => e.orgId === res.body.id);
    expect(created?.actor).toEqual({ type: 'system', id: 'bootstrap-token', email: null });
  });

  it('refuses a wrong bootstrap token', async () => {
    const res = await request(h.app)
      .get('/api/v1/orgs')
      .set('Authorization', `Bearer ${BOOTSTRAP_TOKEN.slice(0, -1)}x`);
    expect(res.status).toBe(401);
  });

  it('refuses a duplicate slug with 409 and bad input with every problem listed', async () => {
    const dup = await request(h.app)
      .post('/api/v1/orgs')
      .set('Cookie', admin.cookie)
      .send({ slug: 'acme', name: 'Again' });
    expect(dup.status).toBe(409);
    const bad = await request(h.app)
      .post('/api/v1/orgs')
      .set('Cookie', admin.cookie)
      .send({ slug: 'Not A Slug', name: '', allowedEmailDomains: ['not a domain'], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const paths = (bad.body.error.details.problems as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual(['$', '$.allowedEmailDomains[0]', '$.name', '$.slug']);
  });

  it('lists orgs for the platform admin only', async () => {
    const list = await request(h.app).get('/api/v1/orgs').set('Cookie', admin.cookie);
    expect(list.status).toBe(200);
    expect((list.body.data as { slug: string }[]).map((o) => o.slug)).toEqual(
      expect.arrayContaining(['acme', 'bootstrapped']),
    );
    const org = await createOrg(h.db);
    const owner = await createMember(h.db, org.id, 'owner');
    expect((await request(h.app).get('/api/v1/orgs').set('Cookie', owner.cookie)).status).toBe(403);
    expect((await request(h.app).get('/api/v1/orgs')).status).toBe(401);
  });

  it('shows a member their own org at /current, and nothing to a platform session without an org', async () => {
    const org = await createOrg(h.db);
    const viewer = await createMember(h.db, org.id, 'viewer');
    const res = await request(h.app).get('/api/v1/orgs/current').set('Authorization', viewer.bearer);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(org.id);
    expect((await request(h.app).get('/api/v1/orgs/current').set('Cookie', admin.cookie)).status).toBe(403);
  });

  it('lets an owner rename their org and set its email domains, audited with the fields changed', async () => {
    const org = await createOrg(h.db);
    const owner = await createMember(h.db, org.id, 'owner');
    const res = await request(h.app)
      .patch('/api/v1/orgs/current')
      .set('Cookie', owner.cookie)
      .send({ name: 'New Name', allowedEmailDomains: ['new.example'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: org.id,
      name: 'New Name',
      allowedEmailDomains: ['new.example'],
      slug: org.slug,
    });
    const event = (await h.auditEvents()).find((e) => e.orgId === org.id && e.action === 'org.updated');
    expect(event?.details).toEqual({ fields: ['allowedEmailDomains', 'name'] });
    const bad = await request(h.app)
      .patch('/api/v1/orgs/current')
      .set('Cookie', owner.cookie)
      .send({ slug: 'hijack' });
    expect(bad.status).toBe(400);
    expect((await h.db.system.org.findUnique({ where: { id: org.id } }))?.slug).toBe(org.slug);
  });

  it('stops the sessions and tokens of a suspended org at once, and lets them work again on activation', async () => {
    const org = await createOrg(h.db);
    const member = await createMember(h.db, org.id, 'admin');
    // Warm the resolver's cache, so the test proves the invalidation, not a cold lookup.
    expect((await request(h.app).get('/api/v1/members').set('Cookie', member.cookie)).status).toBe(200);
    expect((await request(h.app).get('/api/v1/members').set('Authorization', member.bearer)).status).toBe(
      200,
    );

    const res = await request(h.app).post(`/api/v1/orgs/${org.id}/suspend`).set('Cookie', admin.cookie);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('suspended');
    expect((await request(h.app).get('/api/v1/members').set('Cookie', member.cookie)).status).toBe(401);
    expect((await request(h.app).get('/api/v1/members').set('Authorization', member.bearer)).status).toBe(
      401,
    );
    expect((await h.auditEvents()).filter((e) => e.orgId === org.id).map((e) => e.action)).toEqual([
      'org.suspended',
    ]);

    const back = await request(h.app).post(`/api/v1/orgs/${org.id}/activate`).set('Cookie', admin.cookie);
    expect(back.body.status).toBe('active');
    expect((await request(h.app).get('/api/v1/members').set('Cookie', member.cookie)).status).toBe(200);
  });

  it('answers 404 for an unknown org id, well-formed or not', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect(
        (await request(h.app).post(`/api/v1/orgs/${id}/suspend`).set('Cookie', admin.cookie)).status,
      ).toBe(404);
      expect((await request(h.app).get(`/api/v1/orgs/${id}`).set('Cookie', admin.cookie)).status).toBe(404);
    }
  });
});
