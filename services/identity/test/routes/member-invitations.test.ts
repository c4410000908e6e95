// Rule (issue 12 Medium 5): adding someone who is not yet a member is an invitation, and only
// their own verified sign-in through this org's IdP, or the org's SCIM for an email in the
// org's claimed domains, completes it. Neither path ever reaches another tenant's user or the
// break-glass account, whatever invitation names them. rbac and identity mounted together as
// all-in-one does; real oidc-provider, real Postgres. (The admin API's answers by email and by
// id: rbac's members-other-tenants.test.ts.)
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSecretBox } from '@airlock/common';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { startOidcIdp, type OidcIdp } from '../support/oidc-idp.js';
import { insertConnection } from '../../src/store/sso-connections.js';
import { callbackUrl } from '../../src/domain/oidc.js';

const DOMAIN = 'invited.example';

describe('invitations are completed only by the invitee’s own sign-in or the org’s SCIM', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let org: { id: string; slug: string };
  let other: { id: string };
  let ownerCookie: string;
  let scimToken: string;

  beforeAll(async () => {
    f = await startFixture({
      listen: true,
      rbacBootstrapToken: `boot_${randomBytes(32).toString('base64url')}`,
      settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true },
    });
    idp = await startOidcIdp(callbackUrl(f.url));
    org = await f.org('inviteco', [DOMAIN]);
    other = await f.org('otherco', [DOMAIN]);
    // IdP groups map to nothing above member: a higher role can only come from the invitation.
    await insertConnection(f.ctx.db, createSecretBox(f.ctx.keyring), {
      orgId: org.id,
      protocol: 'oidc',
      name: 'Inviteco IdP',
      config: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email', 'profile'] },
      secret: idp.clientSecret,
      groupRoleMap: {},
      defaultRole: 'member',
    });
    ownerCookie = cookie(await (await f.user(org.id, 'owner')).session());
    const token = await api('POST', '/api/v1/sso/scim-tokens');
    scimToken = ((await token.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  function api(method: string, path: string, body?: unknown) {
    return fetch(`${f.url}${path}`, {
      method,
      headers: { cookie: ownerCookie, origin: f.url, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  async function invite(email: string, role: string): Promise<string> {
    const res = await api('POST', '/api/v1/members', { email, role });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }
  function signIn(sub: string, email: string) {
    idp.signInAs({ sub, email, name: 'Invitee', groups: [], emailVerified: true });
    return new Browser().get(`${f.url}/auth/login?org=inviteco&returnTo=/api/v1/me`);
  }
  function scimCreate(email: string) {
    return fetch(`${f.url}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: email,
        emails: [{ value: email, primary: true }],
        active: true,
      }),
    });
  }
  const grant = (id: string) => f.ctx.db.system.pendingGrant.findUnique({ where: { id } });
  const roleHere = async (email: string) => {
    const user = await f.ctx.db.prisma.user.findFirst({ where: { email } });
    if (!user) return null;
    const m = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: org.id, userId: user.id } },
    });
    return m?.role ?? null;
  };
  async function foreignUser(email: string) {
    const user = await f.ctx.db.prisma.user.create({ data: { email } });
    await f.ctx.db.system.membership.create({ data: { orgId: other.id, userId: user.id, role: 'owner' } });
    return user;
  }

  it('IdP sign-in: the invitee’s own verified sign-in takes the invited role, once, audited', async () => {
    const id = await invite(`admin-to-be@${DOMAIN}`, 'admin');
    expect(await roleHere(`admin-to-be@${DOMAIN}`)).toBeNull();
    const page = await signIn('admin-sub', `admin-to-be@${DOMAIN}`);
    expect(page.status).toBe(200);
    const me = JSON.parse(page.body);
    expect(me.role).toBe('admin');
    expect(await grant(id)).toMatchObject({ acceptedBy: me.user.id });
    expect(
      f.events.filter((e) => e.action === 'member.invitation_accepted' && e.target?.id === me.user.id),
    ).toHaveLength(1);
  });

  it('IdP sign-in of another tenant’s user: refused, the invitation stays open, nothing attached', async () => {
    const victim = await foreignUser(`held@${DOMAIN}`);
    const id = await invite(victim.email, 'admin');
    const page = await signIn('attacker-sub', victim.email);
    expect(page.status).toBe(403);
    expect(page.headers.get('set-cookie') ?? '').not.toMatch(/airlock_session=als_/);
    expect(await roleHere(victim.email)).toBeNull();
    expect(await grant(id)).toMatchObject({ acceptedAt: null, acceptedBy: null });
  });

  it('the break-glass account: neither its email’s sign-in nor SCIM attaches it', async () => {
    const root = await f.user(null, undefined, { isPlatformAdmin: true });
    const id = await invite(`root@${DOMAIN}`, 'owner');
    await f.ctx.db.prisma.user.update({ where: { id: root.id }, data: { email: `root@${DOMAIN}` } });
    const page = await signIn('root-sub', `root@${DOMAIN}`);
    expect(page.status).toBe(403);
    // Issue 12: SCIM answers like for a new email (a pending SCIM user, no account), was 409.
    const scim = await scimCreate(`root@${DOMAIN}`);
    expect(scim.status).toBe(201);
    expect(await f.ctx.db.system.membership.count({ where: { userId: root.id } })).toBe(0);
    expect(await grant(id)).toMatchObject({ acceptedAt: null });
  });

  it('SCIM POST /Users for an invited email in the claimed domains takes the invited role', async () => {
    const id = await invite(`scim-admin@${DOMAIN}`, 'admin');
    const res = await scimCreate(`scim-admin@${DOMAIN}`);
    expect(res.status).toBe(201);
    expect(await roleHere(`scim-admin@${DOMAIN}`)).toBe('admin');
    expect((await grant(id))?.acceptedAt).not.toBeNull();
    // Without an invitation the directory adds plain members, as before.
    expect((await scimCreate(`plain@${DOMAIN}`)).status).toBe(201);
    expect(await roleHere(`plain@${DOMAIN}`)).toBe('member');
  });

  // Issue 12: this answered the duplicate's 409 (telling the account exists elsewhere); now it
  // answers like a new email, with a pending SCIM user of this org and nothing attached.
  it('SCIM POST /Users for another tenant’s user: the new-user answer, nothing attached, invitation open', async () => {
    const victim = await foreignUser(`scim-held@${DOMAIN}`);
    const id = await invite(victim.email, 'member');
    const res = await scimCreate(victim.email);
    expect(res.status).toBe(201);
    const fresh = await scimCreate(`fresh@${DOMAIN}`);
    expect(fresh.status).toBe(201);
    const shape = async (r: Response) => {
      const body = (await r.json()) as Record<string, unknown>;
      return { keys: Object.keys(body).sort(), active: body.active, schemas: body.schemas };
    };
    expect(await shape(res)).toEqual(await shape(fresh));
    expect(await roleHere(victim.email)).toBeNull();
    expect(await grant(id)).toMatchObject({ acceptedAt: null });
    expect(await f.ctx.db.system.membership.count({ where: { userId: victim.id } })).toBe(1);
  });
});
