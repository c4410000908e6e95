import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '@airlock/common';
import { startFixture, type Fixture } from '../fixture.js';
import { ensurePlatformAdmin, PLATFORM_ADMIN_USERNAME } from '../../src/store/platform-admin.js';
import { stepAt, totpAt } from '../../src/domain/totp.js';

const IP_LIMIT = 8;

describe('break-glass platform admin sign-in', () => {
  let f: Fixture;
  let password: string;
  let secret: string | undefined;

  beforeAll(async () => {
    f = await startFixture({
      settings: { AIRLOCK_LOCAL_LOGIN_IP_LIMIT: IP_LIMIT, AIRLOCK_LOCAL_LOGIN_MAX_FAILURES: 3 },
    });
    password = (await ensurePlatformAdmin(f.ctx.db))!;
    expect(password).toBeTruthy();
  });
  beforeEach(async () => {
    // The per-IP counter lives in the shared Redis for 15 minutes: start each test clean.
    for (const ip of ['127.0.0.1', '::ffff:127.0.0.1', '::1']) {
      await f.ctx.redis.client.del(`airlock:throttle:local-login-ip:${sha256Hex(ip)}`);
    }
    await f.ctx.db.prisma.localCredential.update({
      where: { username: PLATFORM_ADMIN_USERNAME },
      data: { failedAttempts: 0, lockedUntil: null },
    });
    f.advance(31_000); // a fresh TOTP step for every test
  });
  afterAll(async () => {
    await f.close();
  });

  const login = (body: object) => request(f.app).post('/auth/local/login').send(body);
  const code = () => totpAt(secret!, stepAt(f.now()));

  it('enrols TOTP at the first sign-in, then signs in as platform admin without an org', async () => {
    const first = await login({ username: PLATFORM_ADMIN_USERNAME, password });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('mfa_enrollment_required');
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Airlock%3Aadmin\?secret=[A-Z2-7]+/);
    secret = first.body.secret as string;

    const wrong = await request(f.app)
      .post('/auth/local/mfa/enroll')
      .send({ enrollmentToken: first.body.enrollmentToken, totp: code() === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);

    const ok = await request(f.app)
      .post('/auth/local/mfa/enroll')
      .send({ enrollmentToken: first.body.enrollmentToken, totp: code() });
    expect(ok.status).toBe(200);
    const cookie = String(ok.headers['set-cookie']).match(/airlock_session=[^;]+/)![0];
    const me = await request(f.app).get('/api/v1/me').set('Cookie', cookie);
    expect(me.body).toMatchObject({ isPlatformAdmin: true, org: null, role: null });
    expect(f.events.some((e) => e.action === 'auth.mfa_enrolled')).toBe(true);
    const row = await f.ctx.db.prisma.mfaSecret.findFirst();
    expect(row!.secretEnc).not.toContain(secret);
  });

  it('requires the TOTP code once enrolled, refuses a wrong one and a reused one', async () => {
    const noCode = await login({ username: PLATFORM_ADMIN_USERNAME, password });
    expect(noCode.status).toBe(401);
    // The right password without a code answers exactly like a wrong password (no oracle).
    expect(noCode.body.error.message).toBe('wrong username, password or TOTP code');
    expect(noCode.body.error.details).toBeUndefined();
    const good = code();
    const wrong = await login({
      username: PLATFORM_ADMIN_USERNAME,
      password,
      totp: good === '123456' ? '654321' : '123456',
    });
    expect(wrong.status).toBe(401);
    const ok = await login({ username: PLATFORM_ADMIN_USERNAME, password, totp: good });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('signed_in');
    const reused = await login({ username: PLATFORM_ADMIN_USERNAME, password, totp: good });
    expect(reused.status).toBe(401);
  });

  it('lets exactly one of 4 parallel sign-ins with the same code through', async () => {
    const good = code();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => login({ username: PLATFORM_ADMIN_USERNAME, password, totp: good })),
    );
    // The losers count as failures (a reused code); with this suite's limit of 3 the third
    // may lock the account (429) — either way, refused.
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401 || r.status === 429)).toHaveLength(3);
  });

  it('answers a wrong password and the right password without a code alike', async () => {
    const answers = [
      await login({ username: PLATFORM_ADMIN_USERNAME, password }),
      await login({ username: PLATFORM_ADMIN_USERNAME, password: 'wrong-password' }),
      await login({ username: 'nobody-here', password: 'wrong-password' }),
    ];
    const shape = (r: (typeof answers)[number]) => ({
      status: r.status,
      code: r.body.error.code,
      message: r.body.error.message,
      details: r.body.error.details,
    });
    expect(shape(answers[0]!)).toEqual(shape(answers[1]!));
    expect(shape(answers[2]!)).toEqual(shape(answers[1]!));
  });

  it('locks the account after repeated failures, with a clear message, even for the right password', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await login({ username: PLATFORM_ADMIN_USERNAME, password: 'wrong-password' });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('wrong username, password or TOTP code');
    }
    const locking = await login({ username: PLATFORM_ADMIN_USERNAME, password: 'wrong-password' });
    expect(locking.status).toBe(429);
    expect(locking.body.error.message).toMatch(
      /account is locked after too many failed attempts; try again in 15 minute/,
    );
    expect(Number(locking.headers['retry-after'])).toBeGreaterThan(800);
    const right = await login({ username: PLATFORM_ADMIN_USERNAME, password, totp: code() });
    expect(right.status).toBe(429);
    f.advance(16 * 60_000);
    const after = await login({ username: PLATFORM_ADMIN_USERNAME, password, totp: code() });
    expect(after.status).toBe(200);
    expect(
      f.events.some(
        (e) =>
          e.action === 'auth.login_failed' && (e.details as { reason: string }).reason === 'account_locked',
      ),
    ).toBe(true);
  });

  it('throttles attempts per client IP, whatever the usernames', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < IP_LIMIT + 2; i++) {
      statuses.push((await login({ username: `nobody-${i}`, password: 'x' })).status);
    }
    expect(statuses.slice(0, IP_LIMIT).every((s) => s === 401)).toBe(true);
    const last = await login({ username: PLATFORM_ADMIN_USERNAME, password, totp: code() });
    expect(last.status).toBe(429);
    expect(last.body.error.message).toMatch(/too many sign-in attempts from this address/);
    expect(last.headers['retry-after']).toBeDefined();
  });

  it('never writes the password to logs or audit events, even typed into the username field', async () => {
    const typo = `${password}-typo`;
    await login({ username: typo, password: typo });
    await login({ username: PLATFORM_ADMIN_USERNAME, password: typo });
    await login({ username: PLATFORM_ADMIN_USERNAME, password, totp: code() });
    const everything = f.logs() + JSON.stringify(f.events);
    expect(everything).not.toContain(password);
    const failure = f.events.filter((e) => e.action === 'auth.login_failed');
    expect(failure.length).toBeGreaterThan(0);
    expect(failure.every((e) => (e.details as { username?: string }).username !== typo)).toBe(true);
  });

  it('rejects malformed bodies without echoing them', async () => {
    const res = await login({ username: 'admin', password: 'x'.repeat(2000) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('xxxxxxxxxx');
  });
});
