import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { signIn } from '../../src/routes/session-cookie.js';

// Rule: a session lives no longer than the stricter of the install's settings
// (here 30 min idle, 2 h absolute) and its org's policy (sessions.idleMinutes/absoluteHours).
describe('session lifetimes: the stricter of org policy and install settings', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({
      settings: { AIRLOCK_SESSION_IDLE_MINUTES: 30, AIRLOCK_SESSION_ABSOLUTE_HOURS: 2 },
    });
  });
  afterAll(async () => {
    await f.close();
  });

  /** Signs a member of a fresh org (with this policy, if any) in through a real response. */
  async function signedIn(sessions?: { idleMinutes: number; absoluteHours: number }, platform = false) {
    const org = platform ? null : await f.org();
    if (org && sessions) {
      await f.ctx.db
        .forOrg(org.id)
        .orgPolicy.create({ data: { orgId: org.id, version: 1, document: { sessions } } });
    }
    const user = await f.user(org?.id ?? null, 'member', { isPlatformAdmin: platform });
    const app = express();
    let token = '';
    app.get('/signin', async (req, res) => {
      token = (await signIn(f.ctx, req, res, { userId: user.id, orgId: org?.id ?? null })).token;
      res.status(204).end();
    });
    await request(app).get('/signin');
    const row = await f.ctx.db.system.session.findFirstOrThrow({ where: { userId: user.id } });
    const start = f.now().getTime();
    return {
      token,
      idleMinutes: (row.idleExpiresAt.getTime() - start) / 60_000,
      absoluteHours: (row.absoluteExpiresAt.getTime() - start) / 3_600_000,
    };
  }

  it.each([
    ['no org policy', undefined, false, 30, 2],
    ['policy stricter on both', { idleMinutes: 10, absoluteHours: 1 }, false, 10, 1],
    ['policy stricter on idle only', { idleMinutes: 5, absoluteHours: 12 }, false, 5, 2],
    ['policy stricter on absolute only', { idleMinutes: 600, absoluteHours: 1 }, false, 30, 1],
    ['policy looser on both (cannot loosen)', { idleMinutes: 600, absoluteHours: 24 }, false, 30, 2],
    ['platform admin (no org)', undefined, true, 30, 2],
  ] as const)('%s', async (_name, sessions, platform, idle, absolute) => {
    const s = await signedIn(sessions, platform);
    expect(Math.round(s.idleMinutes)).toBe(idle);
    expect(Math.round(s.absoluteHours * 60)).toBe(absolute * 60);
  });

  it("ends the session after the policy's idle minutes", async () => {
    const s = await signedIn({ idleMinutes: 10, absoluteHours: 12 });
    f.advance(9 * 60_000);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s.token))).status).toBe(200);
    f.advance(11 * 60_000);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s.token))).status).toBe(401);
  });

  it("ends an active session after the policy's absolute hours", async () => {
    const s = await signedIn({ idleMinutes: 30, absoluteHours: 1 });
    for (let i = 0; i < 2; i++) {
      f.advance(25 * 60_000);
      expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s.token))).status).toBe(200);
    }
    f.advance(11 * 60_000);
    expect((await request(f.app).get('/api/v1/me').set('Cookie', cookie(s.token))).status).toBe(401);
  });
});
