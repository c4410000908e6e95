// Issue 13: the platform admin manages an org's SCIM tokens through routes that name the org,
// with the install's bootstrap token (the same door as rbac's platform routes) or a
// break-glass session; each action lands in that org's audit chain as a platform action.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { BOOTSTRAP_ACTOR } from '@airlock/common';
import { cookie, startFixture, type Fixture } from '../fixture.js';

const BOOT = `boot_${randomBytes(32).toString('base64url')}`;
const boot = `Bearer ${BOOT}`;

describe('/api/v1/sso/orgs/:orgId/scim-tokens (platform)', () => {
  let f: Fixture;
  let breakGlass: string;
  beforeAll(async () => {
    f = await startFixture({ rbacBootstrapToken: BOOT });
    breakGlass = cookie(await (await f.user(null, undefined, { isPlatformAdmin: true })).session());
  });
  afterAll(async () => {
    await f.close();
  });

  const tokensOf = (orgId: string) => f.ctx.db.system.scimToken.findMany({ where: { orgId } });

  it('creates a token shown once, lists it without the secret, revokes it; audited as the bootstrap token', async () => {
    const org = await f.org(undefined, ['corp.example']);
    const created = await request(f.app)
      .post(`/api/v1/sso/orgs/${org.id}/scim-tokens`)
      .set('Authorization', boot);
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^alscim_/);

    // The IdP can use it at once.
    const users = await request(f.app).get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);
    expect(users.status).toBe(200);

    const list = await request(f.app)
      .get(`/api/v1/sso/orgs/${org.id}/scim-tokens`)
      .set('Authorization', boot);
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([created.body.id]);
    expect(JSON.stringify(list.body)).not.toContain(token);

    const revoked = await request(f.app)
      .delete(`/api/v1/sso/orgs/${org.id}/scim-tokens/${created.body.id}`)
      .set('Authorization', boot);
    expect(revoked.status).toBe(204);
    expect((await request(f.app).get('/scim/v2/Users').set('Authorization', `Bearer ${token}`)).status).toBe(
      401,
    );
    const again = await request(f.app)
      .delete(`/api/v1/sso/orgs/${org.id}/scim-tokens/${created.body.id}`)
      .set('Authorization', boot);
    expect(again.status).toBe(404);

    const events = f.events.filter((e) => e.target?.id === created.body.id);
    expect(events.map((e) => [e.action, e.orgId, e.actor])).toEqual([
      ['token.created', org.id, BOOTSTRAP_ACTOR],
      ['token.revoked', org.id, BOOTSTRAP_ACTOR],
    ]);
  });

  it('accepts a break-glass session, audited with the platform admin as actor', async () => {
    const org = await f.org();
    const created = await request(f.app)
      .post(`/api/v1/sso/orgs/${org.id}/scim-tokens`)
      .set('Cookie', breakGlass);
    expect(created.status).toBe(201);
    const event = f.events.find((e) => e.target?.id === created.body.id);
    expect(event).toMatchObject({ action: 'token.created', orgId: org.id, actor: { type: 'user' } });
  });

  it('refuses an org owner (403), a wrong bootstrap token (401) and no credential (401), creating nothing', async () => {
    const org = await f.org();
    const owner = cookie(await (await f.user(org.id, 'owner')).session());
    const asOwner = await request(f.app).post(`/api/v1/sso/orgs/${org.id}/scim-tokens`).set('Cookie', owner);
    expect(asOwner.status).toBe(403);
    expect(asOwner.body.error.code).toBe('platform_admin_required');
    const wrong = await request(f.app)
      .post(`/api/v1/sso/orgs/${org.id}/scim-tokens`)
      .set('Authorization', `Bearer ${BOOT.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthenticated');
    expect((await request(f.app).get(`/api/v1/sso/orgs/${org.id}/scim-tokens`)).status).toBe(401);
    expect(await tokensOf(org.id)).toHaveLength(0);
  });

  it('refuses a suspended org (409) and an unknown or malformed org id (404), creating nothing', async () => {
    const org = await f.org();
    await f.ctx.db.system.org.update({ where: { id: org.id }, data: { status: 'suspended' } });
    const suspended = await request(f.app)
      .post(`/api/v1/sso/orgs/${org.id}/scim-tokens`)
      .set('Authorization', boot);
    expect(suspended.status).toBe(409);
    expect(suspended.body.error.message).toContain('suspended');
    expect(await tokensOf(org.id)).toHaveLength(0);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await request(f.app).post(`/api/v1/sso/orgs/${id}/scim-tokens`).set('Authorization', boot);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('does not revoke another org’s token through this org’s path', async () => {
    const a = await f.org();
    const b = await f.org();
    const created = await request(f.app)
      .post(`/api/v1/sso/orgs/${b.id}/scim-tokens`)
      .set('Authorization', boot);
    const cross = await request(f.app)
      .delete(`/api/v1/sso/orgs/${a.id}/scim-tokens/${created.body.id}`)
      .set('Authorization', boot);
    expect(cross.status).toBe(404);
    expect((await tokensOf(b.id))[0]!.revokedAt).toBeNull();
  });

  it('takes the bootstrap token on the platform SSO connection routes too, never on the org’s own routes', async () => {
    const org = await f.org();
    const list = await request(f.app)
      .get(`/api/v1/sso/orgs/${org.id}/connections`)
      .set('Authorization', boot);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
    // The token names no org: the org's own paths have nothing to act on.
    const own = await request(f.app).get('/api/v1/sso/connections').set('Authorization', boot);
    expect(own.status).toBe(401);
  });
});
