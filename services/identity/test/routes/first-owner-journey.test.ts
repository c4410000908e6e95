// Issue 13: a fresh install sets up an org with the bootstrap token and the platform API alone
// (org → pending owner → SSO connection → SCIM token), and the person it names as first owner
// becomes owner by signing in through the org's IdP, then uses the API. Real Postgres, real
// oidc-provider, rbac and identity mounted together as all-in-one does. The pending grant is
// taken only by that verified email through this org's own connection.
import { randomBytes } from 'node:crypto';
import { BOOTSTRAP_ACTOR } from '@airlock/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { startOidcIdp, type OidcIdp } from '../support/oidc-idp.js';
import { callbackUrl } from '../../src/domain/oidc.js';

const BOOT = `boot_${randomBytes(32).toString('base64url')}`;

describe('first owner: org → pending owner → connection → SCIM token → sign-in → owner', () => {
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

  const connectionBody = () => ({
    protocol: 'oidc',
    name: 'Corp IdP',
    config: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email', 'profile'] },
    clientSecret: idp.clientSecret,
    // Members only: no IdP group maps to owner, so only the pending grant can make one.
    groupRoleMap: {},
    defaultRole: 'member',
  });

  /** Org, then its first owner by email, then its connection: the order the docs give. */
  async function orgWithConnection(slug: string, ownerEmail = `owner@${slug}.example`) {
    const created = await platform('POST', '/api/v1/orgs', {
      slug,
      name: slug,
      allowedEmailDomains: [`${slug}.example`],
    });
    expect(created.status).toBe(201);
    const org = (await created.json()) as { id: string; slug: string };
    const granted = await platform('POST', `/api/v1/orgs/${org.id}/pending-owners`, { email: ownerEmail });
    expect(granted.status).toBe(201);
    const grant = (await granted.json()) as { id: string };
    const connection = await platform('POST', `/api/v1/sso/orgs/${org.id}/connections`, connectionBody());
    expect(connection.status).toBe(201);
    const created_ = (await connection.json()) as { id: string };
    expect(
      f.events.some((e) => e.action === 'sso.created' && e.orgId === org.id && e.target?.id === created_.id),
    ).toBe(true);
    return { ...org, grantId: grant.id };
  }

  async function signIn(slug: string, sub: string, email: string, emailVerified?: unknown) {
    const browser = new Browser();
    idp.signInAs({ sub, email, name: 'First Owner', groups: [], emailVerified });
    const page = await browser.get(`${f.url}/auth/login?org=${slug}&returnTo=/api/v1/me`);
    return { browser, page };
  }

  it('takes a fresh org to a signed-in owner using the API, with the bootstrap token and platform API alone', async () => {
    const created = await platform('POST', '/api/v1/orgs', {
      slug: 'journey',
      name: 'Journey',
      allowedEmailDomains: ['journey.example'],
    });
    expect(created.status).toBe(201);
    const org = (await created.json()) as { id: string };

    // A connection before anyone could become owner is refused: the org would have no owner path.
    const early = await platform('POST', `/api/v1/sso/orgs/${org.id}/connections`, connectionBody());
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe('no_owner_path');
    expect(await f.ctx.db.system.ssoConnection.count({ where: { orgId: org.id } })).toBe(0);

    const granted = await platform('POST', `/api/v1/orgs/${org.id}/pending-owners`, {
      email: 'boss@journey.example',
    });
    expect(granted.status).toBe(201);
    const grant = (await granted.json()) as { id: string };

    const connection = await platform('POST', `/api/v1/sso/orgs/${org.id}/connections`, connectionBody());
    expect(connection.status).toBe(201);
    const conn = (await connection.json()) as { id: string };

    const scim = await platform('POST', `/api/v1/sso/orgs/${org.id}/scim-tokens`);
    expect(scim.status).toBe(201);
    const { token: scimToken } = (await scim.json()) as { token: string };
    const directory = await fetch(`${f.url}/scim/v2/Users`, {
      headers: { authorization: `Bearer ${scimToken}` },
    });
    expect(directory.status).toBe(200);

    // Every platform step is in the org's chain, as the bootstrap token.
    for (const action of ['org.created', 'member.invited', 'sso.created', 'token.created'] as const) {
      expect(f.events.find((e) => e.action === action && e.orgId === org.id)?.actor).toEqual(BOOTSTRAP_ACTOR);
    }
    expect(f.events.find((e) => e.action === 'sso.created' && e.orgId === org.id)?.target?.id).toBe(conn.id);

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
    // The owner makes an API token and calls the API with it.
    const minted = await fetch(`${f.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: f.url },
      body: JSON.stringify({ name: 'first' }),
    });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    const members = await fetch(`${f.url}/api/v1/members`, { headers: { authorization: `Bearer ${token}` } });
    expect(members.status).toBe(200);
    const list = (await members.json()) as { data: { email: string; role: string }[] };
    expect(list.data).toEqual([expect.objectContaining({ email: 'boss@journey.example', role: 'owner' })]);
    // Now an owner exists, the org's own connection may stop mapping anyone to owner.
    const patched = await fetch(`${f.url}/api/v1/sso/connections/${conn.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ defaultRole: 'viewer' }),
    });
    expect(patched.status).toBe(200);
    // A second person signing in gets the mapped role only: the grant was used up.
    const second = await signIn('journey', 'other-sub', 'other@journey.example');
    expect(JSON.parse(second.page.body).role).toBe('viewer');
    // Two sign-ins and a dozen API calls: more than jest's 5 s default on a busy machine.
  }, 30_000);

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
    expect(((await suspended.json()) as { error: { code: string } }).error.code).toBe('org_suspended');
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
    const org = await orgWithConnection('strict', 'a@strict.example');
    const open = () =>
      f.ctx.db.system.pendingGrant.count({ where: { orgId: org.id, acceptedAt: null, revokedAt: null } });
    const unverified = await signIn('strict', 'a-sub', 'a@strict.example', 'true');
    expect(unverified.page.status).toBe(403);
    expect(await open()).toBe(1);

    expect((await platform('DELETE', `/api/v1/orgs/${org.id}/pending-owners/${org.grantId}`)).status).toBe(
      204,
    );
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
