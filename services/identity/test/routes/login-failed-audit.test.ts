import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '@airlock/common';
import { startFixture, type Fixture } from '../fixture.js';

const LOGIN_FAILED_ROWS_PER_ADDRESS = 5;
const LOGIN_FAILED_ROWS_PER_ORG = 20;

// Rule: anonymous callers cannot grow an org's audit chain without bound. Every door that
// writes auth.login_failed (SAML ACS, sign-in start, OIDC callback, break-glass sign-in) keeps
// at most a bounded number of rows per org and address, and per org, per minute.
describe('auth.login_failed rows are bounded', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({
      trustProxy: true,
      settings: {
        AIRLOCK_LOGIN_FAILED_AUDIT_PER_ADDRESS: LOGIN_FAILED_ROWS_PER_ADDRESS,
        AIRLOCK_LOGIN_FAILED_AUDIT_PER_ORG: LOGIN_FAILED_ROWS_PER_ORG,
      },
    });
  });
  afterAll(async () => {
    await f.close();
  });

  const failedRows = (orgId: string | null, from: number) =>
    f.events.slice(from).filter((e) => e.action === 'auth.login_failed' && e.orgId === orgId).length;

  const doors: Array<[string, (slug: string, ip: string) => request.Test]> = [
    [
      'POST /auth/saml/:org/acs',
      (slug, ip) =>
        request(f.app)
          .post(`/auth/saml/${slug}/acs`)
          .set('X-Forwarded-For', ip)
          .type('form')
          .send({ SAMLResponse: 'x' }),
    ],
    [
      'GET /auth/login',
      (slug, ip) => request(f.app).get(`/auth/login?org=${slug}`).set('X-Forwarded-For', ip),
    ],
  ];

  it.each(doors)(
    '%s: at most the per-address bound from one address, then other addresses',
    async (_name, call) => {
      const org = await f.org();
      const from = f.events.length;
      for (let i = 0; i < LOGIN_FAILED_ROWS_PER_ADDRESS + 5; i++)
        expect((await call(org.slug, '198.51.100.1')).status).toBeGreaterThanOrEqual(400);
      expect(failedRows(org.id, from)).toBe(LOGIN_FAILED_ROWS_PER_ADDRESS);
      await call(org.slug, '198.51.100.2');
      expect(failedRows(org.id, from)).toBe(LOGIN_FAILED_ROWS_PER_ADDRESS + 1);
    },
  );

  it('at most the per-org bound from many addresses', async () => {
    const org = await f.org();
    const from = f.events.length;
    const addresses = Math.ceil(LOGIN_FAILED_ROWS_PER_ORG / LOGIN_FAILED_ROWS_PER_ADDRESS) + 2;
    for (let a = 0; a < addresses; a++) {
      for (let i = 0; i < LOGIN_FAILED_ROWS_PER_ADDRESS; i++)
        await doors[0]![1](org.slug, `203.0.113.${a + 1}`);
    }
    expect(failedRows(org.id, from)).toBe(LOGIN_FAILED_ROWS_PER_ORG);
  });

  it('bounds the rows of sign-ins that name no org (OIDC callback)', async () => {
    const ip = '192.0.2.200';
    for (const name of ['login-failed-audit', 'login-failed-audit-org'])
      await f.ctx.redis.client.del(
        `airlock:throttle:${name}:${sha256Hex(name === 'login-failed-audit' ? `platform|${ip}` : 'platform')}`,
      );
    const from = f.events.length;
    for (let i = 0; i < LOGIN_FAILED_ROWS_PER_ADDRESS + 3; i++) {
      await request(f.app).get('/auth/oidc/callback?state=nope&code=x').set('X-Forwarded-For', ip);
    }
    expect(failedRows(null, from)).toBe(LOGIN_FAILED_ROWS_PER_ADDRESS);
  });
});
