import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, createPlatformAdmin } from '@airlock/common/testing';
import request from 'supertest';
import { createMember, samplePolicy, startRbac, type Member, type RbacHarness } from '../fixtures.js';

// supertest connects from 127.0.0.1, which the first harness trusts as a proxy.
describe('admin API IP allowlist behind a trusted proxy', () => {
  let h: RbacHarness;
  let admin: Member;
  let viewer: Member;

  beforeAll(async () => {
    h = await startRbac({ trustedProxies: ['127.0.0.1'] });
    const orgId = (await createOrg(h.db)).id;
    admin = await createMember(h.db, orgId, 'admin');
    viewer = await createMember(h.db, orgId, 'viewer');
  });
  afterAll(async () => {
    await h.close();
  });

  const get = (path: string, who: Member, forwardedFor?: string) => {
    const r = request(h.app).get(path).set('Cookie', who.cookie);
    return forwardedFor ? r.set('X-Forwarded-For', forwardedFor) : r;
  };

  it('admits every address while the allowlist is empty', async () => {
    expect((await get('/api/v1/members', admin, '198.51.100.7')).status).toBe(200);
  });

  it('enforces the allowlist on every org route from the next request on', async () => {
    const res = await request(h.app)
      .put('/api/v1/policy')
      .set('Cookie', admin.cookie)
      .set('X-Forwarded-For', '10.1.2.3')
      .set('If-Match', '"0"')
      .send({ policy: samplePolicy({ admin: { ipAllowlist: ['10.1.0.0/16', '2001:db8::/32'] } }) });
    expect(res.status).toBe(200);

    expect((await get('/api/v1/members', admin, '10.1.200.9')).status).toBe(200);
    expect((await get('/api/v1/members', admin, '2001:db8::5')).status).toBe(200);
    for (const path of [
      '/api/v1/members',
      '/api/v1/policy',
      '/api/v1/policy/versions',
      '/api/v1/orgs/current',
    ]) {
      const denied = await get(path, viewer, '10.2.0.1');
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('ip_not_allowed');
      expect(denied.body.error.message).toMatch(/allowlist/);
    }
    // Without X-Forwarded-For the client is the proxy itself, which is not listed.
    expect((await get('/api/v1/policy', viewer)).status).toBe(403);
    // The right-most untrusted hop counts, not a left-most value the client made up.
    expect((await get('/api/v1/policy', viewer, '10.1.2.3, 192.0.2.50')).status).toBe(403);
  });

  it('tells an org member outside the allowlist about it before refusing a platform route', async () => {
    const outside = await get('/api/v1/orgs', viewer, '10.2.0.1');
    expect([outside.status, outside.body.error.code]).toEqual([403, 'ip_not_allowed']);
    const inside = await get('/api/v1/orgs', viewer, '10.1.2.3');
    expect([inside.status, inside.body.error.code]).toEqual([403, 'platform_admin_required']);
  });

  it('does not apply to platform routes, which belong to no org', async () => {
    const platform = await createPlatformAdmin(h.db);
    const res = await request(h.app)
      .get('/api/v1/orgs')
      .set('Cookie', platform.cookie)
      .set('X-Forwarded-For', '192.0.2.1');
    expect(res.status).toBe(200);
  });
});

describe('admin API IP allowlist without trusted proxies', () => {
  let h: RbacHarness;
  let admin: Member;
  let orgId: string;

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db)).id;
    admin = await createMember(h.db, orgId, 'admin');
  });
  afterAll(async () => {
    await h.close();
  });

  it('ignores X-Forwarded-For and judges the socket address', async () => {
    await h.db.system.orgPolicy.create({
      data: { orgId, version: 1, document: samplePolicy({ admin: { ipAllowlist: ['10.1.0.0/16'] } }) },
    });
    h.rbac.policyReader.invalidate?.(orgId);
    const spoofed = await request(h.app)
      .get('/api/v1/members')
      .set('Cookie', admin.cookie)
      .set('X-Forwarded-For', '10.1.2.3');
    expect(spoofed.status).toBe(403);

    await h.db.system.orgPolicy.create({
      data: {
        orgId,
        version: 2,
        document: samplePolicy({ admin: { ipAllowlist: ['127.0.0.1/32', '::1'] } }),
      },
    });
    h.rbac.policyReader.invalidate?.(orgId);
    expect((await request(h.app).get('/api/v1/members').set('Cookie', admin.cookie)).status).toBe(200);
  });
});
