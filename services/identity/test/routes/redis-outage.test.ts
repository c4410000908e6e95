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
