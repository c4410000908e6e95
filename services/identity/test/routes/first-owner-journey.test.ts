// Issue 13: a fresh install sets up an org through the platform API alone, and the person it
// names as first owner becomes owner by signing in through the org's IdP. Real Postgres, real
// oidc-provider, rbac and identity mounted together as all-in-one does. The pending grant is
// taken only by that verified email through this org's own connection.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { startOidcIdp, type OidcIdp } from '../support/oidc-idp.js';
import { callbackUrl } from '../../src/domain/oidc.js';

const BOOT = `boot_${randomBytes(32).toString('base64url')}`;

describe('first owner: org → connection → pending owner → sign-in → owner', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let breakGlass: string;

  beforeAll(async () => {
    f = await startFixture({
      listen: true,
      rbacBootstrapToken: BOOT,
      settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true },
    });
    idp = await startOidcIdp(callbackUrl(f.url));
    breakGlass = cookie(await (await f.user(null, undefined, { isPlatformAdmin: true })).session());
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  function platform(method: string, path: string, body?: unknown, asSession = false) {
    const auth: Record<string, string> = asSession
      ? { cookie: breakGlass, origin: f.url }
      : { authorization: `Bearer ${BOOT}` };
    return fetch(`${f.url}${path}`, {
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function orgWithConnection(slug: string) {
    const created = await platform('POST', '/api/v1/orgs', {
      slug,
      name: slug,
      allowedEmailDomains: [`${slug}.example`],
    });
    expect(created.status).toBe(201);
    const org = (await created.json()) as { id: string; slug: string };
    // Members only by default: no IdP group maps to owner, so only the grant can make one.
    // The platform admin creates it through the platform path (the org has no owner yet).
    const connection = await platform(
      'POST',
      `/api/v1/sso/orgs/${org.id}/connections`,
      {
        protocol: 'oidc',
        name: 'Corp IdP',
        config: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email', 'profile'] },
        clientSecret: idp.clientSecret,
        groupRoleMap: {},
        defaultRole: 'member',
      },
      true,
    );
    expect(connection.status).toBe(201);
    const created_ = (await connection.json()) as { id: string };
    expect(
      f.events.some((e) => e.action === 'sso.created' && e.orgId === org.id && e.target?.id === created_.id),
    ).toBe(true);
    return org;
  }

  async function signIn(slug: string, sub: string, email: string, emailVerified?: unknown) {
    const browser = new Browser();
    idp.signInAs({ sub, email, name: 'First Owner', groups: [], emailVerified });
    const page = await browser.get(`${f.url}/auth/login?org=${slug}&returnTo=/api/v1/me`);
    return { browser, page };
  }

  it('makes the named email owner at its first verified sign-in, once, and lets them use owner routes', async () => {
    const org = await orgWithConnection('journey');
    const granted = await platform('POST', `/api/v1/orgs/${org.id}/pending-owners`, {
      email: 'boss@journey.example',
    });
    expect(granted.status).toBe(201);
    const grant = (await granted.json()) as { id: string };

    const { browser, page } = await signIn('journey', 'boss-sub', 'boss@journey.example');
    expect(page.status).toBe(200);
    const me = JSON.parse(page.body);
    expect(me.role).toBe('owner');
    const row = await f.ctx.db.system.pendingGrant.findUnique({ where: { id: grant.id } });
    expect(row!.acceptedAt).not.toBeNull();
    expect(row!.acceptedBy).toBe(me.user.id);
    expect(
      f.events.some((e) => e.action === 'member.invitation_accepted' && e.target?.id === me.user.id),
    ).toBe(true);
    // An owner route: renaming the org.
    const cookie = [...browser.cookies(f.url)].map(([k, v]) => `${k}=${v}`).join('; ');
    const renamed = await fetch(`${f.url}/api/v1/orgs/current`, {
      method: 'PATCH',
      headers: { cookie, 'content-type': 'application/json', origin: f.url },
      body: JSON.stringify({ name: 'Journey Inc' }),
    });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as { name: string }).name).toBe('Journey Inc');
    // A second person signing in gets the mapped role only: the grant was used up.
    const second = await signIn('journey', 'other-sub', 'other@journey.example');
    expect(JSON.parse(second.page.body).role).toBe('member');
  });

  it('refuses the platform path to an org owner, for a suspended org and for an unknown org', async () => {
    const org = await orgWithConnection('guarded');
    const owner = cookie(await (await f.user(org.id, 'owner')).session());
    const body = {
      protocol: 'oidc',
      name: 'Second',
      config: { issuer: idp.issuer, clientId: idp.clientId },
      groupRoleMap: {},
    };
    const other = await f.org();
    const asOwner = await fetch(`${f.url}/api/v1/sso/orgs/${other.id}/connections`, {
      method: 'POST',
      headers: { cookie: owner, origin: f.url, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(asOwner.status).toBe(403);
    await f.ctx.db.system.org.update({ where: { id: other.id }, data: { status: 'suspended' } });
    const suspended = await platform('POST', `/api/v1/sso/orgs/${other.id}/connections`, body, true);
    expect(suspended.status).toBe(409);
    expect(((await suspended.json()) as { error: { code: string } }).error.code).toBe('conflict');
    const unknown = await platform(
      'POST',
      '/api/v1/sso/orgs/00000000-0000-4000-8000-000000000000/connections',
      body,
      true,
    );
    expect(unknown.status).toBe(404);
    expect(await f.ctx.db.system.ssoConnection.count({ where: { orgId: other.id } })).toBe(0);
    // SP metadata and the sign-in link work as soon as a connection exists.
    const start = await fetch(`${f.url}/auth/login?org=guarded`, { redirect: 'manual' });
    expect(start.status).toBe(303);
    expect(start.headers.get('location')!.startsWith(idp.issuer)).toBe(true);
  });

  it('is not taken by a sign-in through another org’s IdP', async () => {
    const org = await orgWithConnection('careful');
    const other = await orgWithConnection('rival');
    await platform('POST', `/api/v1/orgs/${org.id}/pending-owners`, { email: 'owner@careful.example' });

    // Another org's IdP asserting the email: the grant is this org's, so rival gives nothing.
    const rival = await f.ctx.db.system.org.update({
      where: { id: other.id },
      data: { allowedEmailDomains: [] },
    });
    const foreign = await signIn(rival.slug, 'rival-sub', 'owner@careful.example');
    expect(JSON.parse(foreign.page.body).role).toBe('member');
    expect(
      await f.ctx.db.system.pendingGrant.count({
        where: { orgId: org.id, acceptedAt: null, revokedAt: null },
      }),
    ).toBe(1);
  });

  it('is not taken with an unverified email, after revocation or after expiry', async () => {
    const org = await orgWithConnection('strict');
    const open = () =>
      f.ctx.db.system.pendingGrant.count({ where: { orgId: org.id, acceptedAt: null, revokedAt: null } });
    const g1 = await platform('POST', `/api/v1/orgs/${org.id}/pending-owners`, { email: 'a@strict.example' });
    const unverified = await signIn('strict', 'a-sub', 'a@strict.example', 'true');
    expect(unverified.page.status).toBe(403);
    expect(await open()).toBe(1);

    const { id } = (await g1.json()) as { id: string };
    expect((await platform('DELETE', `/api/v1/orgs/${org.id}/pending-owners/${id}`)).status).toBe(204);
    const afterRevoke = await signIn('strict', 'a-sub', 'a@strict.example');
    expect(JSON.parse(afterRevoke.page.body).role).toBe('member');

    await platform('POST', `/api/v1/orgs/${org.id}/pending-owners`, { email: 'b@strict.example' });
    await f.ctx.db.system.pendingGrant.updateMany({
      where: { orgId: org.id, email: 'b@strict.example' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const afterExpiry = await signIn('strict', 'b-sub', 'b@strict.example');
    expect(JSON.parse(afterExpiry.page.body).role).toBe('member');
  });
});
