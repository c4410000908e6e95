import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRedis, type ServerProcess } from '@airlock/common/testing';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { ensurePlatformAdmin, PLATFORM_ADMIN_USERNAME } from '../../src/store/platform-admin.js';

// Which identity functions fail closed when Redis is down (ARCHITECTURE: fail modes explicit).
describe('with Redis down', () => {
  let redis: ServerProcess;
  let f: Fixture;
  let password: string;

  beforeAll(async () => {
    redis = await startRedis();
    await redis.start();
    f = await startFixture({ redisUrl: redis.url });
    password = (await ensurePlatformAdmin(f.ctx.db))!;
    await f.org('down-org');
    await redis.stop();
  }, 60_000);
  afterAll(async () => {
    // Back up first, so queued audit events drain and clients close cleanly.
    await redis?.start();
    await f?.close();
    await redis?.destroy();
  }, 30_000);

  it('refuses the break-glass sign-in (no throttle, no sign-in) with 503', async () => {
    const res = await request(f.app)
      .post('/auth/local/login')
      .send({ username: PLATFORM_ADMIN_USERNAME, password });
    expect(res.status).toBe(503);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses to start an SSO sign-in (no place for one-time state) with an error page', async () => {
    const org = await f.org();
    await f.ctx.db.system.ssoConnection.create({
      data: {
        orgId: org.id,
        protocol: 'saml',
        name: 's',
        config: {
          idpEntityId: 'https://idp.example',
          idpSsoUrl: 'https://idp.example/sso',
          idpCertificates: ['A'.repeat(300)],
        },
      },
    });
    const res = await request(f.app).get(`/auth/login?org=${org.slug}`);
    expect(res.status).toBe(503);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('Sign-in is unavailable right now');
  });

  it('refuses the CLI sign-in at every step rather than run it unthrottled or without state', async () => {
    const code = await request(f.app)
      .post('/oauth/device/code')
      .type('form')
      .send({ client_id: 'airlock-cli' });
    expect(code.status).toBe(503);
    expect(code.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'sign-in is unavailable right now; try again',
    });
    const poll = await request(f.app).post('/oauth/token').type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'airlock-cli',
      device_code: 'ald_whatever-it-is',
    });
    expect(poll.status).toBe(503);
    expect(poll.body.error).toBe('temporarily_unavailable');
    const org = await f.org();
    const member = cookie(await (await f.user(org.id)).session());
    const page = await request(f.app).get('/device?user_code=BCDF-GHJK').set('Cookie', member);
    expect(page.status).toBe(503);
    expect(page.text).not.toContain('name="csrf"');
  });

  it('still authenticates existing sessions (the database is the source of truth)', async () => {
    const org = await f.org();
    const user = await f.user(org.id);
    expect(
      (
        await request(f.app)
          .get('/api/v1/me')
          .set('Cookie', cookie(await user.session()))
      ).status,
    ).toBe(200);
  });
});
