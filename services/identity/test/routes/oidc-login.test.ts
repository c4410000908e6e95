import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CACHE_TTL_MS, type Role } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { callbackUrl } from '../../src/domain/oidc.js';

describe('OIDC sign-in end to end (oidc-provider, discovery, code + PKCE, signed ID tokens)', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let org: { id: string; slug: string };
  let connectionId: string;

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    org = await f.org('acme', ['acme.example']);
    const connection = await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, {
      orgId: org.id,
      groupRoleMap: { 'airlock-admins': 'admin', 'airlock-owners': 'owner', 'airlock-viewers': 'viewer' },
    });
    connectionId = connection.id;
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  async function me(browser: Browser) {
    const res = await browser.get(`${f.url}/api/v1/me`);
    return { status: res.status, body: res.status === 200 ? JSON.parse(res.body) : undefined };
  }

  async function login(browser: Browser, groups: string[], sub = 'alice-sub', email = 'alice@acme.example') {
    idp.signInAs({ sub, email, name: 'Alice Example', groups });
    return browser.get(`${f.url}/auth/login?org=acme&returnTo=/api/v1/me`);
  }

  async function roleOf(userId: string): Promise<Role | undefined> {
    const m = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: org.id, userId } },
    });
    return m?.role;
  }

  it('redirects /auth/login to the IdP with PKCE (S256), state and nonce', async () => {
    const browser = new Browser();
    const res = await browser.get(`${f.url}/auth/login?org=acme`, { maxHops: 1 });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(idp.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(location.searchParams.get('redirect_uri')).toBe(`${f.url}/auth/oidc/callback`);
    expect(browser.cookies(f.url).has('airlock_sso_binding')).toBe(true);
  });

  it('signs in, JIT-provisions the user with the mapped role, then logs out', async () => {
    const browser = new Browser();
    const page = await login(browser, ['airlock-admins', 'unrelated']);
    expect(page.url).toBe(`${f.url}/api/v1/me`);
    expect(page.status).toBe(200);
    const body = JSON.parse(page.body);
    expect(body.user).toMatchObject({ email: 'alice@acme.example', name: 'Alice Example' });
    expect(body.org.slug).toBe('acme');
    expect(body.role).toBe('admin');
    const identity = await f.ctx.db.system.ssoIdentity.findFirst({
      where: { connectionId, subject: 'alice-sub' },
    });
    expect(identity!.groups).toEqual(['airlock-admins', 'unrelated']);
    expect(f.events.some((e) => e.action === 'auth.login' && e.actor.id === body.user.id)).toBe(true);

    expect((await browser.request('POST', `${f.url}/auth/logout`)).status).toBe(204);
    expect((await me(browser)).status).toBe(401);
  });

  it('updates the role on the next sign-in and gives unmapped users the default role', async () => {
    const browser = new Browser();
    const first = await login(browser, ['airlock-viewers'], 'bob-sub', 'bob@acme.example');
    const userId = JSON.parse(first.body).user.id as string;
    expect(await roleOf(userId)).toBe('viewer');
    const second = await login(
      new Browser(),
      ['airlock-owners', 'airlock-viewers'],
      'bob-sub',
      'bob@acme.example',
    );
    expect(JSON.parse(second.body).role).toBe('owner');
    expect(await roleOf(userId)).toBe('owner');
    // The first browser's session sees the new role too (role read at request time).
    // Until the invalidation arrives over Redis; bounded below the cache TTL so that expiry
    // cannot pass it instead.
    await waitFor(async () => (await me(browser)).body?.role === 'owner', CACHE_TTL_MS / 2);
    expect((await me(browser)).body.role).toBe('owner');
    // Bob is the only owner: the IdP cannot demote the org's last owner.
    const refused = await login(new Browser(), [], 'bob-sub', 'bob@acme.example');
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('owner');
    expect(await roleOf(userId)).toBe('owner');
    // With a second owner, the unmapped user gets the connection's default role.
    await f.user(org.id, 'owner');
    const third = await login(new Browser(), [], 'bob-sub', 'bob@acme.example');
    expect(JSON.parse(third.body).role).toBe('member');
    expect(f.events.some((e) => e.action === 'member.role_changed' && e.target?.id === userId)).toBe(true);
  });

  it('refuses an email outside the org’s allowed domains, with an error page and an audit event', async () => {
    const browser = new Browser();
    const page = await login(browser, ['airlock-admins'], 'eve-sub', 'eve@evil.example');
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.body).toContain('Your email domain is not allowed for this organisation.');
    expect(await f.ctx.db.prisma.user.findFirst({ where: { email: 'eve@evil.example' } })).toBeNull();
    expect(
      f.events.some(
        (e) =>
          e.action === 'auth.login_failed' &&
          (e.details as { reason: string }).reason === 'email_domain_not_allowed',
      ),
    ).toBe(true);
  });

  it('never signs in the break-glass platform admin through an org IdP', async () => {
    await f.ctx.db.prisma.user.create({ data: { email: 'root@acme.example', isPlatformAdmin: true } });
    const page = await login(new Browser(), ['airlock-owners'], 'root-sub', 'root@acme.example');
    expect(page.status).toBe(403);
    expect(page.body).toContain('cannot sign in with single sign-on');
  });

  it('refuses a callback whose state this browser did not start (login CSRF)', async () => {
    const victim = new Browser();
    const attacker = new Browser();
    idp.signInAs({ sub: 'mallory', email: 'mallory@acme.example', name: 'M', groups: [] });
    // The attacker starts a sign-in, stops before the callback, and hands the URL to the victim.
    const stopped = await attacker.get(`${f.url}/auth/login?org=acme`, {
      stopBefore: `${f.url}/auth/oidc/callback`,
    });
    const stolen = new URL(stopped.headers.get('location')!, stopped.url).toString();
    expect(stolen.startsWith(`${f.url}/auth/oidc/callback?code=`)).toBe(true);
    const page = await victim.get(stolen);
    expect(page.status).toBe(400);
    expect(page.body).toContain('was not started in this browser');
  });

  it.each([
    ['cross-site', false],
    ['same-site', false],
    ['same-origin', true],
    ['none', true],
    [undefined, true],
  ] as const)(
    'a sign-in start with Sec-Fetch-Site %s goes to the IdP: %s (login CSRF)',
    async (site, redirects) => {
      const res = await fetch(`${f.url}/auth/login?org=acme&returnTo=/x`, {
        redirect: 'manual',
        headers: site ? { 'sec-fetch-site': site } : {},
      });
      const body = await res.text();
      if (redirects) {
        expect(res.status).toBe(303);
        expect(res.headers.get('location')!.startsWith(idp.issuer)).toBe(true);
      } else {
        // No redirect, no binding cookie, no state: a page whose same-origin link starts it.
        expect(res.status).toBe(200);
        expect(res.headers.get('location')).toBeNull();
        expect(res.headers.getSetCookie()).toEqual([]);
        expect(body).toContain('<a href="/auth/login?org=acme&amp;returnTo=/x">');
      }
    },
  );

  it('refuses a tampered state', async () => {
    const browser = new Browser();
    idp.signInAs({ sub: 'carol', email: 'carol@acme.example', name: 'C', groups: [] });
    const start = await browser.get(`${f.url}/auth/login?org=acme`, { maxHops: 1 });
    const authorize = new URL(start.headers.get('location')!);
    authorize.searchParams.set('state', 'tampered-state-value');
    const page = await browser.get(authorize.toString());
    expect(page.url.startsWith(`${f.url}/auth/oidc/callback`)).toBe(true);
    expect(page.status).toBe(400);
    expect(
      f.events.some(
        (e) =>
          e.action === 'auth.login_failed' && (e.details as { reason: string }).reason === 'state_mismatch',
      ),
    ).toBe(true);
  });

  it('when the connection requires a mapped group, a user in none loses access at once', async () => {
    const browser = new Browser();
    const first = await login(browser, ['airlock-admins'], 'dave-sub', 'dave@acme.example');
    const userId = JSON.parse(first.body).user.id as string;
    expect((await me(browser)).status).toBe(200);
    const row = await f.ctx.db.system.ssoConnection.findUnique({ where: { id: connectionId } });
    const config = { ...(row!.config as object), requireMappedGroup: true };
    await f.ctx.db.system.ssoConnection.update({ where: { id: connectionId }, data: { config } });
    try {
      const page = await login(new Browser(), ['unrelated'], 'dave-sub', 'dave@acme.example');
      expect(page.status).toBe(403);
      expect(page.body).toContain('not in any group that grants access');
      expect(await roleOf(userId)).toBeUndefined();
      // The session from the first sign-in is revoked too, not left to expire.
      expect((await me(browser)).status).toBe(401);
    } finally {
      await f.ctx.db.system.ssoConnection.update({
        where: { id: connectionId },
        data: { config: { ...config, requireMappedGroup: false } },
      });
    }
  });

  it('links an existing user by verified email but never renames a user who belongs to another org', async () => {
    const existing = await f.ctx.db.prisma.user.create({
      data: { email: 'shared@acme.example', name: 'Real Name' },
    });
    const first = await login(new Browser(), [], 'shared-sub', 'shared@acme.example');
    expect(JSON.parse(first.body).user).toMatchObject({ id: existing.id });
    // Later the same person joins another org; this org's IdP no longer renames them.
    const other = await f.org();
    await f.ctx.db.system.membership.create({
      data: { orgId: other.id, userId: existing.id, role: 'owner' },
    });
    await f.ctx.db.prisma.user.update({ where: { id: existing.id }, data: { name: 'Real Name' } });
    const page = await login(new Browser(), [], 'shared-sub', 'shared@acme.example');
    expect(JSON.parse(page.body).user).toMatchObject({ id: existing.id, name: 'Real Name' });
    // Membership in the other org is untouched, and this org's session is scoped to this org.
    const m = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: other.id, userId: existing.id } },
    });
    expect(m?.role).toBe('owner');
    expect(JSON.parse(page.body).org.id).toBe(org.id);
    expect(JSON.parse(page.body).role).toBe('member');
  });

  it('answers an unknown org with the error page, not a redirect', async () => {
    const page = await new Browser().get(`${f.url}/auth/login?org=nope`);
    expect(page.status).toBe(404);
    expect(page.body).toContain('does not exist');
  });
});

describe('SSO sign-in starts are throttled per client IP', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ trustProxy: true, settings: { AIRLOCK_SSO_LOGIN_IP_LIMIT: 3 } });
    await f.org('throttled');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('answers 429 with an error page after the limit, for that IP only', async () => {
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await request(f.app).get('/auth/login?org=throttled').set('X-Forwarded-For', ip)).status,
      );
    }
    // No connection configured: 404 page until the throttle answers first.
    expect(statuses).toEqual([404, 404, 404, 429]);
    const other = await request(f.app).get('/auth/login?org=throttled').set('X-Forwarded-For', '192.0.2.77');
    expect(other.status).toBe(404);
  });
});
