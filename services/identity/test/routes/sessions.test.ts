import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '@airlock/common';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { signIn } from '../../src/routes/session-cookie.js';
import express from 'express';

describe('sessions and /api/v1/me', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({
      settings: { AIRLOCK_SESSION_IDLE_MINUTES: 30, AIRLOCK_SESSION_ABSOLUTE_HOURS: 2 },
    });
  });
  afterAll(async () => {
    await f.close();
  });

  it('describes the caller: user, org, role and session expiry', async () => {
    const org = await f.org();
    const user = await f.user(org.id, 'admin');
    const res = await request(f.app)
      .get('/api/v1/me')
      .set('Cookie', cookie(await user.session()));
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(user.email);
    expect(res.body.org).toEqual({ id: org.id, slug: org.slug, name: org.slug });
    expect(res.body.role).toBe('admin');
    expect(res.body.credential).toBe('session');
    const idle = Date.parse(res.body.session.idleExpiresAt) - f.now().getTime();
    expect(idle).toBeGreaterThan(29 * 60_000);
    expect(idle).toBeLessThanOrEqual(30 * 60_000 + 1_000);
  });

  it('refuses /api/v1/me without a credential, with an unknown cookie and with a malformed one', async () => {
    expect((await request(f.app).get('/api/v1/me')).status).toBe(401);
    const unknown = await request(f.app).get('/api/v1/me').set('Cookie', cookie('als_nope-nope-nope-nope'));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('unauthenticated');
    const malformed = await request(f.app).get('/api/v1/me').set('Cookie', 'airlock_session=%E0%A4%A');
    expect(malformed.status).toBe(401);
  });

  it('stores only the SHA-256 of the session cookie', async () => {
    const org = await f.org();
    const user = await f.user(org.id);
    const token = await user.session();
    const rows = await f.ctx.db.system.session.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(sha256Hex(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('ends a session after the idle timeout without requests', async () => {
    const org = await f.org();
    const user = await f.user(org.id);
    const token = await user.session();
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(token))).status).toBe(200);
    f.advance(31 * 60_000);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(token))).status).toBe(401);
  });

  it('slides the idle timeout while the session is used, up to the absolute lifetime', async () => {
    const org = await f.org();
    const user = await f.user(org.id);
    const token = await user.session();
    // 20 minutes between requests is under the 30-minute idle timeout: still signed in at 100 min.
    for (let i = 0; i < 5; i++) {
      f.advance(20 * 60_000);
      expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(token))).status).toBe(200);
    }
    // The absolute lifetime (2 h) ends it however active it is.
    f.advance(20 * 60_000 + 1_000);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(token))).status).toBe(401);
  });

  it('logout revokes the session at once and clears the cookie', async () => {
    const org = await f.org();
    const user = await f.user(org.id);
    const token = await user.session();
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(token))).status).toBe(200);
    const out = await request(f.app).post('/auth/logout').set('Cookie', cookie(token));
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/airlock_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(token))).status).toBe(401);
    const row = await f.ctx.db.system.session.findUnique({ where: { tokenHash: sha256Hex(token) } });
    expect(row!.revokedAt).not.toBeNull();
    expect(f.events.some((e) => e.action === 'auth.logout' && e.actor.id === user.id)).toBe(true);
  });

  it.each([
    ['Sec-Fetch-Site', 'cross-site', false],
    ['Sec-Fetch-Site', 'same-site', false],
    ['Origin', 'https://evil.example', false],
    ['Origin', 'null', false],
    ['Sec-Fetch-Site', 'same-origin', true],
    ['Sec-Fetch-Site', 'none', true],
  ] as const)('logout with %s: %s ends the session: %s (logout CSRF)', async (header, value, ends) => {
    const org = await f.org();
    const user = await f.user(org.id);
    const token = await user.session();
    const out = await request(f.app).post('/auth/logout').set('Cookie', cookie(token)).set(header, value);
    expect(out.status).toBe(ends ? 204 : 403);
    const me = await request(f.app).get('/api/v1/me').set('Cookie', cookie(token));
    expect(me.status).toBe(ends ? 401 : 200);
  });

  it('lets an admin revoke every session of a member of their org', async () => {
    const org = await f.org();
    const admin = await f.user(org.id, 'admin');
    const member = await f.user(org.id);
    const [s1, s2] = [await member.session(), await member.session()];
    for (const s of [s1, s2]) {
      expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s))).status).toBe(200);
    }
    const res = await request(f.app)
      .delete(`/auth/users/${member.id}/sessions`)
      .set('Cookie', cookie(await admin.session()));
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBe(2);
    for (const s of [s1, s2]) {
      expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s))).status).toBe(401);
    }
    expect(f.events.some((e) => e.action === 'session.revoked' && e.target?.id === member.id)).toBe(true);
  });

  it("refuses a member revoking someone else's sessions", async () => {
    const org = await f.org();
    const member = await f.user(org.id);
    const other = await f.user(org.id);
    const res = await request(f.app)
      .delete(`/auth/users/${other.id}/sessions`)
      .set('Cookie', cookie(await member.session()));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it("cannot touch another org's sessions: an admin of org A leaves org B's sessions alive", async () => {
    const a = await f.org();
    const b = await f.org();
    const adminA = await f.user(a.id, 'admin');
    const memberB = await f.user(b.id);
    const sessionB = await memberB.session();
    const res = await request(f.app)
      .delete(`/auth/users/${memberB.id}/sessions`)
      .set('Cookie', cookie(await adminA.session()));
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBe(0);
    const me = await request(f.app).get('/api/v1/me').set('Cookie', cookie(sessionB));
    expect(me.status).toBe(200);
    expect(me.body.org.id).toBe(b.id);
  });

  it('lets an org-less platform admin end their own sessions everywhere, and nobody else’s', async () => {
    const org = await f.org();
    const member = await f.user(org.id);
    const memberSession = await member.session();
    const platform = await f.user(null, 'member', { isPlatformAdmin: true });
    const [s1, s2] = [await platform.session(), await platform.session()];
    const other = await request(f.app).delete(`/auth/users/${member.id}/sessions`).set('Cookie', cookie(s1));
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(memberSession))).status).toBe(200);
    const own = await request(f.app).delete(`/auth/users/${platform.id}/sessions`).set('Cookie', cookie(s1));
    expect(own.status).toBe(200);
    expect(own.body.revoked).toBe(2);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s2))).status).toBe(401);
    expect(
      f.events.some(
        (e) => e.action === 'session.revoked' && e.target?.id === platform.id && e.orgId === null,
      ),
    ).toBe(true);
  });

  it('answers 404 naming the identity module for a path under its prefixes that no route matches', async () => {
    const res = await request(f.app).get('/api/v1/sso/probe');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.body.error.message).toBe('identity: no route for GET /api/v1/sso/probe');
  });
});

describe('session cookie flags', () => {
  /** Signs a user in through a real express response and returns the Set-Cookie header. */
  async function signInHeader(publicUrl: string) {
    const f = await startFixture({ publicUrl });
    try {
      const org = await f.org();
      const user = await f.user(org.id);
      const app = express();
      app.get('/signin', async (req, res) => {
        await signIn(f.ctx, req, res, { userId: user.id, orgId: org.id });
        res.status(204).end();
      });
      const res = await request(app).get('/signin');
      return String(res.headers['set-cookie']);
    } finally {
      await f.close();
    }
  }

  it('is HttpOnly, SameSite=Lax, Path=/ and not Secure on a plain-http development URL', async () => {
    const header = await signInHeader('http://localhost:8080');
    expect(header).toMatch(/^airlock_session=als_[A-Za-z0-9_-]{43};/);
    expect(header).toContain('; HttpOnly');
    expect(header).toContain('; SameSite=Lax');
    expect(header).toContain('; Path=/;');
    expect(header).not.toContain('Secure');
  });

  it('is Secure with the __Host- prefix when the public URL is https', async () => {
    const header = await signInHeader('https://airlock.example.com');
    expect(header).toMatch(/^__Host-airlock_session=als_[A-Za-z0-9_-]{43};/);
    expect(header).toContain('; Secure');
    expect(header).toContain('; HttpOnly');
    expect(header).toContain('; SameSite=Lax');
    expect(header).not.toMatch(/Domain=/i);
  });
});
