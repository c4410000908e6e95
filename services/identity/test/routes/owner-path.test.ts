// Issue 13: no org without a way to an owner. A save of an SSO connection that would leave the
// org with no active owner, no open pending owner grant and no enabled connection mapping
// someone to owner is refused (409 no_owner_path) and changes nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startFixture, type Fixture } from '../fixture.js';

const BOOT = `boot_${randomBytes(32).toString('base64url')}`;

const connection = (groupRoleMap: Record<string, string>, extra: object = {}) => ({
  protocol: 'oidc',
  name: 'Corp IdP',
  config: { issuer: 'https://idp.corp.example', clientId: 'airlock' },
  groupRoleMap,
  defaultRole: 'member',
  ...extra,
});

describe('owner path', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ rbacBootstrapToken: BOOT });
  });
  afterAll(async () => {
    await f.close();
  });

  const platform = (orgId: string) => `/api/v1/sso/orgs/${orgId}/connections`;
  const post = (orgId: string, body: object) =>
    request(f.app).post(platform(orgId)).set('Authorization', `Bearer ${BOOT}`).send(body);
  const patch = (orgId: string, id: string, body: object) =>
    request(f.app)
      .patch(`${platform(orgId)}/${id}`)
      .set('Authorization', `Bearer ${BOOT}`)
      .send(body);
  const del = (orgId: string, id: string) =>
    request(f.app)
      .delete(`${platform(orgId)}/${id}`)
      .set('Authorization', `Bearer ${BOOT}`);
  const rows = (orgId: string) => f.ctx.db.system.ssoConnection.findMany({ where: { orgId } });
  const grant = (orgId: string, expiresAt = new Date(Date.now() + 86_400_000)) =>
    f.ctx.db.system.pendingGrant.create({
      data: { orgId, email: 'first@corp.example', role: 'owner', expiresAt },
    });

  function expectRefused(res: request.Response) {
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('no_owner_path');
    expect(res.body.error.message).toContain('pending owner');
  }

  it('lets an org with an owner save a connection that maps nobody to owner', async () => {
    const org = await f.org();
    await f.user(org.id, 'owner');
    const res = await post(org.id, connection({ Staff: 'member' }));
    expect(res.status).toBe(201);
    expect(await rows(org.id)).toHaveLength(1);
  });

  it('lets an org whose only owner is a pending grant save one', async () => {
    const org = await f.org();
    await grant(org.id);
    const res = await post(org.id, connection({}));
    expect(res.status).toBe(201);
  });

  it('refuses one for an org with no owner and no pending owner, creating nothing and auditing nothing', async () => {
    const org = await f.org();
    const before = f.events.length;
    expectRefused(await post(org.id, connection({ Staff: 'admin' })));
    expect(await rows(org.id)).toHaveLength(0);
    expect(f.events.slice(before).filter((e) => e.action.startsWith('sso.'))).toEqual([]);
  });

  it('does not count an expired grant or a deactivated owner', async () => {
    const org = await f.org();
    await grant(org.id, new Date(Date.now() - 1000));
    const gone = await f.user(org.id, 'owner');
    await f.ctx.db.system.user.update({ where: { id: gone.id }, data: { status: 'deactivated' } });
    expectRefused(await post(org.id, connection({})));
    expect(await rows(org.id)).toHaveLength(0);
  });

  it('keeps the last owner-mapped connection: remapping, disabling and deleting it are refused unchanged', async () => {
    const org = await f.org();
    const created = await post(org.id, connection({ 'Airlock Owners': 'owner', Staff: 'member' }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    expectRefused(await patch(org.id, id, { groupRoleMap: { Staff: 'member' } }));
    expectRefused(await patch(org.id, id, { enabled: false }));
    expectRefused(await del(org.id, id));
    const [row] = await rows(org.id);
    expect(row).toMatchObject({
      enabled: true,
      groupRoleMap: { 'Airlock Owners': 'owner', Staff: 'member' },
    });

    // A second path (a second owner-mapped connection) makes the first one free to change.
    const second = await post(org.id, connection({ Founders: 'owner' }, { name: 'Second IdP' }));
    expect(second.status).toBe(201);
    expect((await patch(org.id, id, { groupRoleMap: { Staff: 'member' } })).status).toBe(200);
    expectRefused(await del(org.id, second.body.id));
    // An owner default counts unless the connection demands a mapped group.
    expect((await patch(org.id, id, { defaultRole: 'owner' })).status).toBe(200);
    expect((await del(org.id, second.body.id)).status).toBe(204);
    expectRefused(
      await patch(org.id, id, {
        config: { issuer: 'https://idp.corp.example', clientId: 'airlock', requireMappedGroup: true },
      }),
    );
  });

  it('applies on the org’s own path too: an admin-only mapping is fine while the owner exists', async () => {
    const org = await f.org();
    const owner = await f.user(org.id, 'owner');
    const res = await request(f.app)
      .post('/api/v1/sso/connections')
      .set('Cookie', `airlock_session=${await owner.session()}`)
      .send(connection({ Admins: 'admin' }));
    expect(res.status).toBe(201);
  });
});
