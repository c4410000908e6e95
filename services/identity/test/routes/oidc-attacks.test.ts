import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { startFakeOp, type FakeOp, type Mode } from '../support/fake-op.js';
import { connectOidcIdp } from '../support/oidc-idp.js';

describe('OIDC sign-in refuses forged or broken ID tokens', () => {
  let f: Fixture;
  let op: FakeOp;

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    op = await startFakeOp();
    const org = await f.org('victim-org');
    await connectOidcIdp(f.ctx.db, f.ctx.keyring, op, {
      orgId: org.id,
      name: 'Fake OP',
      config: {},
      groupRoleMap: { 'airlock-owners': 'owner' },
    });
  });
  afterAll(async () => {
    await op?.close();
    await f?.close();
  });

  async function attempt(mode: Mode) {
    op.mode = mode;
    const browser = new Browser();
    const page = await browser.get(`${f.url}/auth/login?org=victim-org&returnTo=/api/v1/me`);
    const me = await browser.get(`${f.url}/api/v1/me`);
    return { page, signedIn: me.status === 200 };
  }

  it('signs in with a correct ID token (the fake OP itself is sound)', async () => {
    const { page, signedIn } = await attempt('ok');
    expect(page.status).toBe(200);
    expect(signedIn).toBe(true);
  });

  it.each<[Mode, string]>([
    ['wrong_nonce', 'nonce mismatch'],
    ['wrong_issuer', 'wrong issuer'],
    ['expired', 'expired ID token'],
    ['alg_none', 'alg none'],
    ['wrong_key', 'signature by another key'],
    ['wrong_audience', 'another audience'],
  ])('refuses an ID token with %s (%s)', async (mode) => {
    const before = f.events.length;
    const { page, signedIn } = await attempt(mode);
    expect(page.status).toBe(400);
    expect(page.body).toContain('could not be verified');
    expect(signedIn).toBe(false);
    const failed = f.events.slice(before).find((e) => e.action === 'auth.login_failed');
    expect(failed?.details).toMatchObject({ method: 'oidc', reason: 'idp_response_invalid' });
  });

  it('tolerates small clock skew but not more: a token valid 30 s ahead of a slow clock passes', async () => {
    f.advance(-30_000);
    try {
      const { signedIn } = await attempt('ok');
      expect(signedIn).toBe(true);
    } finally {
      f.advance(30_000);
    }
  });

  it('never logs the ID token or the authorization code', async () => {
    await attempt('wrong_nonce');
    expect(f.logs()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(f.logs()).not.toMatch(/code-[a-z0-9]{6,}/);
  });
});
