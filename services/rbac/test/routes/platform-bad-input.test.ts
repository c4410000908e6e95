// Issue 13: bad input on the platform's set-up routes gets a clear code and changes nothing:
// no row written, no row altered, no audit event. (A connection or SCIM token for a suspended
// org is refused in identity's first-owner-journey and platform-scim-tokens suites.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { BOOTSTRAP_TOKEN, startRbac, type RbacHarness } from '../fixtures.js';

describe('platform set-up: bad input changes nothing', () => {
  let h: RbacHarness;
  let org: { id: string; slug: string };
  const boot = `Bearer ${BOOTSTRAP_TOKEN}`;

  beforeAll(async () => {
    h = await startRbac();
    const res = await request(h.app)
      .post('/api/v1/orgs')
      .set('Authorization', boot)
      .send({ slug: 'strict-co', name: 'Strict Co', allowedEmailDomains: ['strict.example'] });
    expect(res.status).toBe(201);
    org = res.body;
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a pending owner outside the org’s allowed domains: 403, no grant, no event', async () => {
    const before = (await h.auditEvents()).length;
    for (const email of ['eve@elsewhere.example', 'eve@sub.strict.example', 'eve@strict.example.evil']) {
      const res = await request(h.app)
        .post(`/api/v1/orgs/${org.id}/pending-owners`)
        .set('Authorization', boot)
        .send({ email });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('email_domain_not_allowed');
      expect(res.body.error.message).toContain('email domain');
    }
    expect(await h.db.system.pendingGrant.count({ where: { orgId: org.id } })).toBe(0);
    expect((await h.auditEvents()).slice(before)).toEqual([]);
  });

  it('refuses a duplicate slug: 409, the existing org untouched, no second org, no event', async () => {
    const before = (await h.auditEvents()).length;
    const dup = await request(h.app)
      .post('/api/v1/orgs')
      .set('Authorization', boot)
      .send({ slug: 'strict-co', name: 'Impostor', allowedEmailDomains: ['evil.example'] });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('slug_taken');
    expect(dup.body.error.message).toContain('slug');
    const rows = await h.db.system.org.findMany({ where: { slug: 'strict-co' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: org.id, name: 'Strict Co', allowedEmailDomains: ['strict.example'] });
    expect((await h.auditEvents()).slice(before)).toEqual([]);
  });
});
