import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '@airlock/common';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { insertSession } from '../../src/store/sessions.js';

const SCIM = 'application/scim+json';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('SCIM 2.0 provisioning', () => {
  let f: Fixture;
  let org: { id: string; slug: string };
  let scimToken: string;
  let adminCookie: string;

  beforeAll(async () => {
    f = await startFixture();
    org = await f.org(undefined, ['corp.example']);
    // SCIM tokens can deprovision anyone, so only owners issue them.
    adminCookie = cookie(await (await f.user(org.id, 'owner')).session());
    const created = await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', adminCookie);
    expect(created.status).toBe(201);
    scimToken = created.body.token;
  });
  afterAll(async () => {
    await f.close();
  });

  const scim = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, token = scimToken) => {
    const agent = request(f.app);
    return agent[method](`/scim/v2${path}`).set('Authorization', `Bearer ${token}`).set('Content-Type', SCIM);
  };

  const newUser = (email: string, extra: object = {}) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName: 'Pat', familyName: 'Doe' },
    emails: [{ value: email, primary: true }],
    externalId: `ext-${email}`,
    active: true,
    ...extra,
  });

  it('issues SCIM tokens to owners only, shown once and stored hashed', async () => {
    const row = await f.ctx.db.system.scimToken.findFirst({ where: { orgId: org.id } });
    expect(row!.tokenHash).toBe(sha256Hex(scimToken));
    expect(scimToken).toMatch(/^alscim_/);
    const list = await request(f.app).get('/api/v1/sso/scim-tokens').set('Cookie', adminCookie);
    expect(JSON.stringify(list.body)).not.toContain(scimToken);
    const member = cookie(await (await f.user(org.id, 'member')).session());
    expect((await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', member)).status).toBe(403);
    // An admin could deprovision the owners with one: refused, though they may list them.
    const admin = cookie(await (await f.user(org.id, 'admin')).session());
    expect((await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', admin)).status).toBe(403);
    expect((await request(f.app).get('/api/v1/sso/scim-tokens').set('Cookie', admin)).status).toBe(200);
  });

  it('refuses requests without a valid SCIM token, in SCIM’s error format', async () => {
    const none = await request(f.app).get('/scim/v2/Users');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/application\/scim\+json/);
    expect(none.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect((await scim('get', '/Users', 'alscim_wrongwrongwrongwrongwrong')).status).toBe(401);
    // An API token or a session is not a SCIM token.
    expect((await request(f.app).get('/scim/v2/Users').set('Cookie', adminCookie)).status).toBe(401);
  });

  it('creates a user with a membership, finds it by userName, and refuses a duplicate', async () => {
    const created = await scim('post', '/Users').send(newUser('pat@corp.example'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      userName: 'pat@corp.example',
      active: true,
      externalId: 'ext-pat@corp.example',
      displayName: 'Pat Doe',
    });
    expect(created.headers.location).toContain(`/scim/v2/Users/${created.body.id}`);
    const m = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: org.id, userId: created.body.id } },
    });
    expect(m?.role).toBe('member');
    const found = await scim('get', '/Users?filter=' + encodeURIComponent('userName eq "pat@corp.example"'));
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(created.body.id);
    const dup = await scim('post', '/Users').send(newUser('pat@corp.example'));
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe('uniqueness');
    expect(f.events.some((e) => e.action === 'scim.user_created' && e.target?.id === created.body.id)).toBe(
      true,
    );
  });

  // Issue 12: these answered 409 like a duplicate, which told an account exists elsewhere.
  // Now they answer like a new user (a pending SCIM user of this org); scim-other-tenants.test.ts
  // enumerates every kind of account.
  it('never adopts another tenant’s user or the break-glass account, answering like a new user', async () => {
    const fresh = await scim('post', '/Users').send(newUser('fresh@corp.example'));
    expect(fresh.status).toBe(201);
    const other = await f.org();
    const held = await f.user(other.id, 'viewer');
    const heldEmail = 'held@corp.example';
    await f.ctx.db.prisma.user.update({ where: { id: held.id }, data: { email: heldEmail } });
    await f.ctx.db.prisma.user.create({ data: { email: 'root@corp.example', isPlatformAdmin: true } });
    for (const email of [heldEmail, 'root@corp.example']) {
      const res = await scim('post', '/Users').send(newUser(email));
      expect([res.status, Object.keys(res.body).sort(), res.body.active]).toEqual([
        fresh.status,
        Object.keys(fresh.body).sort(),
        fresh.body.active,
      ]);
      const user = await f.ctx.db.prisma.user.findFirstOrThrow({ where: { email } });
      expect(await f.ctx.db.system.membership.count({ where: { orgId: org.id, userId: user.id } })).toBe(0);
      expect(await f.ctx.db.system.scimUser.count({ where: { orgId: org.id, userId: user.id } })).toBe(0);
    }
    // A user no other org holds, in a domain this org claims, is adopted.
    const free = await f.ctx.db.prisma.user.create({ data: { email: 'free@corp.example' } });
    expect((await scim('post', '/Users').send(newUser('free@corp.example'))).status).toBe(201);
    expect(await f.ctx.db.system.scimUser.count({ where: { orgId: org.id, userId: free.id } })).toBe(1);
  });

  it('refuses emails outside the org’s allowed domains and unsupported filters', async () => {
    expect((await scim('post', '/Users').send(newUser('x@elsewhere.example'))).status).toBe(400);
    const bad = await scim('get', '/Users?filter=' + encodeURIComponent('title co "x"'));
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidFilter');
  });

  it('deactivation (Entra-style PATCH "False") revokes the user’s sessions and API tokens at once', async () => {
    const created = (await scim('post', '/Users').send(newUser('leaver@corp.example'))).body;
    // The user signs in and creates an API token.
    const s = await insertSession(f.ctx.db, {
      userId: created.id,
      orgId: org.id,
      idleMs: 3_600_000,
      absoluteMs: 3_600_000,
      now: f.now(),
    });
    const apiToken = (
      await request(f.app).post('/api/v1/tokens').set('Cookie', cookie(s.token)).send({ name: 'laptop' })
    ).body.token as string;
    expect((await request(f.app).get('/api/v1/me').set('Authorization', `Bearer ${apiToken}`)).status).toBe(
      200,
    );
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s.token))).status).toBe(200);

    const res = await scim('patch', `/Users/${created.id}`).send({
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect((await request(f.app).get('/api/v1/me').set('Authorization', `Bearer ${apiToken}`)).status).toBe(
      401,
    );
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s.token))).status).toBe(401);
    expect(f.events.some((e) => e.action === 'scim.user_deactivated' && e.target?.id === created.id)).toBe(
      true,
    );

    // Still visible to the IdP, and reactivation (Okta-style PUT) restores the membership.
    expect((await scim('get', `/Users/${created.id}`)).body.active).toBe(false);
    const back = await scim('put', `/Users/${created.id}`).send(
      newUser('leaver@corp.example', { active: true }),
    );
    expect(back.status).toBe(200);
    expect(back.body.active).toBe(true);
  });

  it('DELETE deactivates in this org; another org’s token cannot see or touch the user', async () => {
    const created = (await scim('post', '/Users').send(newUser('gone@corp.example'))).body;
    const other = await f.org();
    const otherAdmin = cookie(await (await f.user(other.id, 'owner')).session());
    const otherToken = (await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', otherAdmin)).body
      .token;
    expect((await scim('get', `/Users/${created.id}`, otherToken)).status).toBe(404);
    expect((await scim('delete', `/Users/${created.id}`, otherToken)).status).toBe(404);
    expect((await scim('get', `/Users/${created.id}`)).body.active).toBe(true);
    expect((await scim('delete', `/Users/${created.id}`)).status).toBe(204);
    expect((await scim('get', `/Users/${created.id}`)).body.active).toBe(false);
  });

  it('refuses to deprovision the org’s last owner, and changes nothing', async () => {
    const solo = await f.org(undefined, ['corp.example']);
    const owner = await f.user(solo.id, 'owner');
    const ownerCookie = cookie(await owner.session());
    const token = (await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', ownerCookie)).body
      .token;
    const res = await scim('delete', `/Users/${owner.id}`, token);
    expect(res.status).toBe(409);
    const still = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: solo.id, userId: owner.id } },
    });
    expect(still?.role).toBe('owner');
    expect((await request(f.app).get('/api/v1/me').set('Cookie', ownerCookie)).status).toBe(200);
  });

  it('stops accepting a revoked SCIM token', async () => {
    const t = (await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', adminCookie)).body;
    expect((await scim('get', '/Users', t.token)).status).toBe(200);
    expect(
      (await request(f.app).delete(`/api/v1/sso/scim-tokens/${t.id}`).set('Cookie', adminCookie)).status,
    ).toBe(204);
    expect((await scim('get', '/Users', t.token)).status).toBe(401);
  });

  it('answers Groups honestly: an empty list, and 501 for group writes', async () => {
    expect((await scim('get', '/Groups')).body.totalResults).toBe(0);
    const post = await scim('post', '/Groups').send({ displayName: 'Admins' });
    expect(post.status).toBe(501);
  });
});
