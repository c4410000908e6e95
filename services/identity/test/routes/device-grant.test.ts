// The CLI sign-in (OAuth device grant, RFC 8628) over HTTP: the code endpoint, every token
// endpoint answer of RFC 8628 §3.5, the approval page and its protections, the SSO detour,
// and every way the issued token ends with the session, membership, role, user or org.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CACHE_TTL_MS, sha256Hex } from '@airlock/common';
import { cookie, startFixture, type Fixture, type TestUser } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { callbackUrl } from '../../src/domain/oidc.js';
import { DEVICE_GRANT_TYPE } from '../../src/domain/device-grant.js';
import { USER_CODE_ALPHABET } from '../../src/store/device-codes.js';

const BOOT = `boot-${randomUUID()}-${randomUUID()}`;

describe('CLI sign-in: OAuth device authorization grant', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let org: { id: string; slug: string };
  let owner: TestUser;
  let ownerCookie: string;

  beforeAll(async () => {
    f = await startFixture({
      listen: true,
      rbacBootstrapToken: BOOT,
      settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true, AIRLOCK_DEVICE_USER_CODE_LIMIT: 10_000 },
    });
    idp = await startOidcIdp(callbackUrl(f.url));
    org = await f.org(`dev-${randomUUID().slice(0, 8)}`, ['acme.example']);
    await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, { orgId: org.id });
    owner = await f.user(org.id, 'owner');
    ownerCookie = cookie(await owner.session());
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  const startFlow = (fields: Record<string, string> = { client_id: 'airlock-cli' }) =>
    request(f.app).post('/oauth/device/code').type('form').send(fields);

  const poll = (deviceCode: string, fields: Record<string, string> = {}) =>
    request(f.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: DEVICE_GRANT_TYPE, client_id: 'airlock-cli', device_code: deviceCode, ...fields });

  /** Opens the approval page as the browser with this cookie and submits one of its forms. */
  async function answer(cookieHeader: string, userCode: string, decision: 'approve' | 'deny') {
    const page = await request(f.app).get(`/device?user_code=${userCode}`).set('Cookie', cookieHeader);
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    return request(f.app)
      .post('/device')
      .set('Cookie', cookieHeader)
      .type('form')
      .send({ user_code: userCode, csrf, decision });
  }

  /** A member signed in in a browser who runs `airlock login` and approves: the CLI's token. */
  async function cliToken(user?: TestUser) {
    const who = user ?? (await f.user(org.id, 'member'));
    const session = await who.session();
    const flow = (await startFlow()).body;
    expect((await answer(cookie(session), flow.user_code, 'approve')).status).toBe(200);
    const issued = await poll(flow.device_code);
    expect(issued.status).toBe(200);
    return { user: who, session, token: issued.body.access_token as string, issued: issued.body };
  }

  /** GET /api/v1/me with the token, after any cached principal has aged out. */
  async function meWith(token: string) {
    f.advance(CACHE_TTL_MS + 1);
    return request(f.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
  }

  describe('POST /oauth/device/code', () => {
    it('answers a form or JSON request with the RFC 8628 fields and a short unambiguous user code', async () => {
      const form = await startFlow({ client_id: 'airlock-cli', org: org.slug });
      expect(form.status).toBe(200);
      expect(form.headers['cache-control']).toBe('no-store');
      const letters = `[${USER_CODE_ALPHABET}]{4}`;
      expect(form.body).toEqual({
        device_code: expect.stringMatching(/^ald_[A-Za-z0-9_-]{43}$/),
        user_code: expect.stringMatching(new RegExp(`^${letters}-${letters}$`)),
        verification_uri: `${f.url}/device`,
        verification_uri_complete: `${f.url}/device?user_code=${form.body.user_code}&org=${org.slug}`,
        expires_in: 600,
        interval: 5,
      });
      const json = await request(f.app).post('/oauth/device/code').send({ client_id: 'airlock-cli' });
      expect(json.status).toBe(200);
      expect(json.body.verification_uri_complete).toBe(`${f.url}/device?user_code=${json.body.user_code}`);
      const issued = f.events.filter((e) => e.action === 'device.code_issued');
      expect(issued.at(-1)).toMatchObject({ orgId: null, actor: { type: 'anonymous' } });
      expect(issued.some((e) => e.orgId === org.id)).toBe(true);
    });

    it('keeps neither code in Redis, only their hashes', async () => {
      const flow = (await startFlow()).body;
      const keys = await f.ctx.redis.client.keys('airlock:device:*');
      const values = await Promise.all(keys.map((k) => f.ctx.redis.client.get(k)));
      const everything = [...keys, ...values].join('\n');
      expect(everything).toContain(sha256Hex(flow.device_code));
      expect(everything).not.toContain(flow.device_code);
      expect(everything).not.toContain(flow.user_code.replace('-', ''));
      expect(everything).not.toContain(flow.user_code);
    });

    it('refuses an unknown client, a malformed org and an unknown org in the OAuth error shape', async () => {
      const client = await startFlow({ client_id: 'someone-else' });
      expect(client.status).toBe(401);
      expect(client.body).toEqual({ error: 'invalid_client', error_description: 'unknown client_id' });
      const malformed = await startFlow({ client_id: 'airlock-cli', org: 'Not A Slug' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toBe('invalid_request');
      const unknown = await startFlow({ client_id: 'airlock-cli', org: 'no-such-org-here' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toBe('invalid_request');
    });
  });

  describe('POST /oauth/token', () => {
    it('refuses a missing or foreign grant type, an unknown client and an unknown device code', async () => {
      const none = await request(f.app).post('/oauth/token').type('form').send({ client_id: 'airlock-cli' });
      expect(none.status).toBe(400);
      expect(none.body.error).toBe('invalid_request');
      const foreign = await poll('x', { grant_type: 'authorization_code' });
      expect(foreign.status).toBe(400);
      expect(foreign.body.error).toBe('unsupported_grant_type');
      const flow = (await startFlow()).body;
      const client = await poll(flow.device_code, { client_id: 'other-cli' });
      expect(client.status).toBe(401);
      expect(client.body.error).toBe('invalid_client');
      const unknown = await poll('ald_not-a-code-anyone-was-given');
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({ error: 'invalid_grant', error_description: 'unknown device_code' });
      const missing = await poll('', {});
      expect(missing.body.error).toBe('invalid_request');
    });

    it('says authorization_pending at the agreed pace and slow_down (interval + 5 s) when polled faster', async () => {
      const flow = (await startFlow()).body;
      const first = await poll(flow.device_code);
      expect(first.status).toBe(400);
      expect(first.body.error).toBe('authorization_pending');
      expect(first.headers['cache-control']).toBe('no-store');
      const tooSoon = await poll(flow.device_code);
      expect(tooSoon.body).toMatchObject({ error: 'slow_down', interval: 10 });
      f.advance(5_000); // the old pace is now too fast as well
      expect((await poll(flow.device_code)).body).toMatchObject({ error: 'slow_down', interval: 15 });
      f.advance(15_000);
      expect((await poll(flow.device_code)).body.error).toBe('authorization_pending');
    });

    it('says access_denied once the member denies, and audits both sides', async () => {
      const flow = (await startFlow()).body;
      const denied = await answer(ownerCookie, flow.user_code, 'deny');
      expect(denied.status).toBe(200);
      expect(denied.text).toContain('Sign-in denied');
      const res = await poll(flow.device_code);
      expect(res.body.error).toBe('access_denied');
      expect(f.events.some((e) => e.action === 'device.denied' && e.actor.id === owner.id)).toBe(true);
      const refused = f.events.filter((e) => e.action === 'device.token_refused');
      expect(refused.at(-1)).toMatchObject({ details: { reason: 'access_denied' }, outcome: 'denied' });
    });

    it('says expired_token after expires_in, approved or not', async () => {
      const flow = (await startFlow()).body;
      f.advance(601_000);
      const res = await poll(flow.device_code);
      expect(res.body.error).toBe('expired_token');
      // The page refuses the stale code as well.
      const page = await request(f.app).get(`/device?user_code=${flow.user_code}`).set('Cookie', ownerCookie);
      expect(page.status).toBe(410);
    });

    it('issues a token once; a second pickup of the same code is invalid_grant', async () => {
      const { token, issued, user } = await cliToken();
      expect(token).toMatch(/^al_/);
      expect(issued).toMatchObject({ token_type: 'Bearer', token_id: expect.any(String) });
      expect(issued.expires_in).toBeLessThanOrEqual(12 * 3600);
      const me = await meWith(token);
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(user.id);
      const row = await f.ctx.db.system.apiToken.findUnique({ where: { id: issued.token_id } });
      expect(row).toMatchObject({ tokenHash: sha256Hex(token), boundRole: 'member', userId: user.id });
      expect(row!.sessionId).toEqual(expect.any(String));
      const flow = (await startFlow()).body;
      await answer(cookie(await user.session()), flow.user_code, 'approve');
      expect((await poll(flow.device_code)).status).toBe(200);
      const again = await poll(flow.device_code);
      expect(again.body.error).toBe('invalid_grant');
      expect(
        f.events.some((e) => e.action === 'device.token_issued' && e.target?.id === issued.token_id),
      ).toBe(true);
    });

    it('never outlives the approving session', async () => {
      const user = await f.user(org.id, 'member');
      const session = await user.session();
      const row = await f.ctx.db.system.session.findUnique({ where: { tokenHash: sha256Hex(session) } });
      await f.ctx.db.system.session.update({
        where: { id: row!.id },
        data: { absoluteExpiresAt: new Date(f.now().getTime() + 3_600_000) },
      });
      const flow = (await startFlow()).body;
      await answer(cookie(session), flow.user_code, 'approve');
      const issued = await poll(flow.device_code);
      expect(issued.body.expires_in).toBeLessThanOrEqual(3600);
      expect((await meWith(issued.body.access_token)).status).toBe(200);
      // The session reaches its absolute end (moved there, not waited for): so does the token.
      await f.ctx.db.system.session.update({
        where: { id: row!.id },
        data: { absoluteExpiresAt: new Date(f.now().getTime() - 1) },
      });
      expect((await meWith(issued.body.access_token)).status).toBe(401);
    });

    it('outlives the browser session’s idle timeout (using the token is the activity)', async () => {
      const { token, session } = await cliToken();
      await f.ctx.db.system.session.update({
        where: { tokenHash: sha256Hex(session) },
        data: { idleExpiresAt: new Date(f.now().getTime() - 1) },
      });
      f.advance(CACHE_TTL_MS + 1);
      expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(session))).status).toBe(401);
      expect((await meWith(token)).status).toBe(200);
    });

    it('refuses the pickup when the approving session ended in between (invalid_grant, audited)', async () => {
      const user = await f.user(org.id, 'member');
      const session = await user.session();
      const flow = (await startFlow()).body;
      await answer(cookie(session), flow.user_code, 'approve');
      expect((await request(f.app).post('/auth/logout').set('Cookie', cookie(session))).status).toBe(204);
      const res = await poll(flow.device_code);
      expect(res.body.error).toBe('invalid_grant');
      const refused = f.events.filter((e) => e.action === 'device.token_refused');
      expect(refused.at(-1)).toMatchObject({ details: { reason: 'session_ended' }, actor: { id: user.id } });
    });
  });

  describe('GET and POST /device', () => {
    it('sends a browser without a session through SSO and back to the approval page', async () => {
      const flow = (await startFlow({ client_id: 'airlock-cli', org: org.slug })).body;
      const browser = new Browser();
      const first = await browser.get(flow.verification_uri_complete, { maxHops: 1 });
      expect(first.status).toBe(303);
      const login = new URL(first.headers.get('location')!, f.url);
      expect(login.pathname).toBe('/auth/login');
      expect(login.searchParams.get('org')).toBe(org.slug);
      expect(login.searchParams.get('returnTo')).toBe(`/device?user_code=${flow.user_code}&org=${org.slug}`);
      idp.signInAs({ sub: 'dana-sub', email: 'dana@acme.example', name: 'Dana', groups: [] });
      const page = await browser.get(flow.verification_uri_complete);
      expect(page.url).toBe(flow.verification_uri_complete);
      expect(page.status).toBe(200);
      expect(page.body).toContain(flow.user_code);
      expect(page.body).toContain('dana@acme.example');
      // The strict CSP: nothing inline; forms may only post back here.
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.body).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const approved = await browser.request(
        'POST',
        `${f.url}/device`,
        new URLSearchParams({ user_code: flow.user_code, csrf, decision: 'approve' }),
      );
      expect(approved.status).toBe(200);
      const issued = await poll(flow.device_code);
      expect(issued.status).toBe(200);
      const me = await meWith(issued.body.access_token);
      expect(me.body.user.email).toBe('dana@acme.example');
      expect(
        f.events.some((e) => e.action === 'device.approved' && e.actor.email === 'dana@acme.example'),
      ).toBe(true);
    });

    it('asks an anonymous browser for the org, or finds it from the code', async () => {
      const bare = await request(f.app).get('/device');
      expect(bare.status).toBe(200);
      expect(bare.text).toContain('name="org"');
      const flow = (await startFlow({ client_id: 'airlock-cli', org: org.slug })).body;
      const byCode = await request(f.app).get(`/device?user_code=${flow.user_code}`);
      expect(byCode.status).toBe(303);
      expect(byCode.headers.location).toContain(`org=${org.slug}`);
      const noOrg = (await startFlow()).body;
      const ask = await request(f.app).get(`/device?user_code=${noOrg.user_code}`);
      expect(ask.status).toBe(200);
      expect(ask.text).toContain('name="org"');
    });

    it('refuses an unknown code and a code already answered, and audits the rejection', async () => {
      const unknown = await request(f.app).get('/device?user_code=BBBB-BBBB').set('Cookie', ownerCookie);
      expect(unknown.status).toBe(404);
      const junk = await request(f.app).get('/device?user_code=<script>').set('Cookie', ownerCookie);
      expect(junk.status).toBe(404);
      expect(junk.text).not.toContain('<script>');
      const flow = (await startFlow()).body;
      await answer(ownerCookie, flow.user_code, 'approve');
      const again = await request(f.app)
        .get(`/device?user_code=${flow.user_code}`)
        .set('Cookie', ownerCookie);
      expect(again.status).toBe(409);
      const reasons = f.events
        .filter((e) => e.action === 'device.code_rejected')
        .map((e) => (e.details as { reason?: string }).reason);
      expect(reasons).toEqual(expect.arrayContaining(['unknown_code', 'already_decided']));
    });

    it('accepts only same-origin form posts carrying this session’s form token', async () => {
      const flow = (await startFlow()).body;
      const page = await request(f.app).get(`/device?user_code=${flow.user_code}`).set('Cookie', ownerCookie);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const crossSite = await request(f.app)
        .post('/device')
        .set('Cookie', ownerCookie)
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ user_code: flow.user_code, csrf, decision: 'approve' });
      expect(crossSite.status).toBe(403);
      const fetchMeta = await request(f.app)
        .post('/device')
        .set('Cookie', ownerCookie)
        .set('Sec-Fetch-Site', 'cross-site')
        .type('form')
        .send({ user_code: flow.user_code, csrf, decision: 'approve' });
      expect(fetchMeta.status).toBe(403);
      // Another member's session cannot use this page's token.
      const other = cookie(await (await f.user(org.id, 'member')).session());
      const stolenForm = await request(f.app)
        .post('/device')
        .set('Cookie', other)
        .type('form')
        .send({ user_code: flow.user_code, csrf, decision: 'approve' });
      expect(stolenForm.status).toBe(403);
      const noToken = await request(f.app)
        .post('/device')
        .set('Cookie', ownerCookie)
        .type('form')
        .send({ user_code: flow.user_code, decision: 'approve' });
      expect(noToken.status).toBe(403);
      const anonymous = await request(f.app)
        .post('/device')
        .type('form')
        .send({ user_code: flow.user_code, csrf, decision: 'approve' });
      expect(anonymous.status).toBe(401);
      // None of that decided anything: the CLI is still waiting.
      expect((await poll(flow.device_code)).body.error).toBe('authorization_pending');
    });

    it('sends a member signed in to another org to sign in to the code’s org', async () => {
      const other = await f.org();
      const stranger = cookie(await (await f.user(other.id, 'owner')).session());
      const flow = (await startFlow({ client_id: 'airlock-cli', org: org.slug })).body;
      const res = await request(f.app).get(`/device?user_code=${flow.user_code}`).set('Cookie', stranger);
      expect(res.status).toBe(403);
      expect(res.text).toContain(`/auth/login?org=${org.slug}`);
      expect(f.events.filter((e) => e.action === 'device.code_rejected').at(-1)?.details).toEqual({
        reason: 'wrong_org',
      });
      expect((await poll(flow.device_code)).body.error).toBe('authorization_pending');
    });

    it('does not let a viewer (who may not hold API tokens) approve', async () => {
      const viewer = cookie(await (await f.user(org.id, 'viewer')).session());
      const flow = (await startFlow()).body;
      const res = await request(f.app).get(`/device?user_code=${flow.user_code}`).set('Cookie', viewer);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('name="csrf"');
    });
  });

  describe('the issued token ends with', () => {
    it('the approving session’s sign-out', async () => {
      const { token, session } = await cliToken();
      expect((await meWith(token)).status).toBe(200);
      expect((await request(f.app).post('/auth/logout').set('Cookie', cookie(session))).status).toBe(204);
      expect((await meWith(token)).status).toBe(401);
    });

    it('an admin revoking the member’s sessions', async () => {
      const { token, user } = await cliToken();
      const res = await request(f.app).delete(`/auth/users/${user.id}/sessions`).set('Cookie', ownerCookie);
      expect(res.status).toBe(200);
      expect((await meWith(token)).status).toBe(401);
    });

    it('its own revocation (airlock logout)', async () => {
      const { token, issued } = await cliToken();
      const res = await request(f.app)
        .delete(`/api/v1/tokens/${issued.token_id}`)
        .set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect((await meWith(token)).status).toBe(401);
    });

    it('the membership’s removal', async () => {
      const { token, user } = await cliToken();
      const res = await request(f.app).delete(`/api/v1/members/${user.id}`).set('Cookie', ownerCookie);
      expect(res.status).toBe(204);
      expect((await meWith(token)).status).toBe(401);
    });

    it('a role change, while the browser session itself goes on', async () => {
      const { token, user, session } = await cliToken();
      const res = await request(f.app)
        .patch(`/api/v1/members/${user.id}`)
        .set('Cookie', ownerCookie)
        .send({ role: 'admin' });
      expect(res.status).toBe(200);
      expect((await meWith(token)).status).toBe(401);
      const browser = await request(f.app).get('/api/v1/me').set('Cookie', cookie(session));
      expect(browser.body.role).toBe('admin');
    });

    it('SCIM deprovisioning', async () => {
      const scimToken = (await request(f.app).post('/api/v1/sso/scim-tokens').set('Cookie', ownerCookie)).body
        .token as string;
      const email = `scim-${randomUUID().slice(0, 8)}@acme.example`;
      const created = await request(f.app)
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${scimToken}`)
        .set('Content-Type', 'application/scim+json')
        .send({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: email,
          emails: [{ value: email, primary: true }],
          active: true,
        });
      expect(created.status).toBe(201);
      const user = await f.ctx.db.system.user.findFirstOrThrow({ where: { email } });
      const { insertSession } = await import('../../src/store/sessions.js');
      const session = await insertSession(f.ctx.db, {
        userId: user.id,
        orgId: org.id,
        idleMs: 3_600_000,
        absoluteMs: 43_200_000,
        now: f.now(),
      });
      const { token } = await cliToken({
        id: user.id,
        email,
        orgId: org.id,
        session: async () => session.token,
      });
      expect((await meWith(token)).status).toBe(200);
      const off = await request(f.app)
        .patch(`/scim/v2/Users/${user.id}`)
        .set('Authorization', `Bearer ${scimToken}`)
        .set('Content-Type', 'application/scim+json')
        .send({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { active: false } }],
        });
      expect(off.status).toBe(200);
      expect((await meWith(token)).status).toBe(401);
    });

    it('the org’s suspension', async () => {
      const other = await f.org();
      const member = await f.user(other.id, 'member');
      const session = await member.session();
      const flow = (await startFlow({ client_id: 'airlock-cli', org: other.slug })).body;
      await answer(cookie(session), flow.user_code, 'approve');
      const token = (await poll(flow.device_code)).body.access_token as string;
      expect((await meWith(token)).status).toBe(200);
      const res = await request(f.app)
        .post(`/api/v1/orgs/${other.id}/suspend`)
        .set('Authorization', `Bearer ${BOOT}`);
      expect(res.status).toBe(200);
      expect((await meWith(token)).status).toBe(401);
    });
  });
});

describe('CLI sign-in: user-code guessing', () => {
  let f: Fixture;
  // A fresh address per run: the per-IP counter lives in the shared Redis for ten minutes.
  const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

  beforeAll(async () => {
    f = await startFixture({ trustProxy: true, settings: { AIRLOCK_DEVICE_USER_CODE_LIMIT: 3 } });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('throttles lookups per member and per address, fails closed and audits it', async () => {
    const org = await f.org();
    const member = cookie(await (await f.user(org.id, 'member')).session());
    const lookup = (code: string, from = ip, who = member) =>
      request(f.app).get(`/device?user_code=${code}`).set('Cookie', who).set('X-Forwarded-For', from);
    for (const code of ['BBBB-BBBC', 'BBBB-BBBD', 'BBBB-BBBF']) expect((await lookup(code)).status).toBe(404);
    const flow = (
      await request(f.app).post('/oauth/device/code').type('form').send({ client_id: 'airlock-cli' })
    ).body;
    // Over the limit, even the right code is refused.
    expect((await lookup(flow.user_code)).status).toBe(429);
    // The member's own counter holds from another address too.
    expect((await lookup(flow.user_code, '10.255.255.1')).status).toBe(429);
    // And the address's counter holds for another member.
    const other = cookie(await (await f.user(org.id, 'member')).session());
    expect((await lookup(flow.user_code, ip, other)).status).toBe(429);
    const rejected = f.events.filter((e) => e.action === 'device.code_rejected');
    expect(rejected.filter((e) => (e.details as { reason?: string }).reason === 'throttled')).toHaveLength(3);
  });
});
