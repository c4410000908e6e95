// Rule (issue 12 High 1): an IdP signs in only the identities it owns. A sign-in is bound to
// (connection, subject); reaching an account that already exists by email needs a strictly
// verified email (OIDC `email_verified === true`) and an account no other org holds; it is
// audited. Real oidc-provider, real Postgres.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSecretBox } from '@airlock/common';
import { startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { insertConnection } from '../../src/store/sso-connections.js';
import { callbackUrl } from '../../src/domain/oidc.js';

describe('linking an OIDC sign-in to an existing account by email', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let org: { id: string; slug: string };

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    org = await f.org('linkco', ['linkco.example']);
    await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, {
      orgId: org.id,
      name: 'Linkco IdP',
      config: { scopes: ['openid', 'email', 'profile'] },
    });
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  async function signIn(sub: string, email: string, emailVerified?: unknown) {
    idp.signInAs({ sub, email, name: 'Someone', groups: [], emailVerified });
    return new Browser().get(`${f.url}/auth/login?org=linkco&returnTo=/api/v1/me`);
  }
  const lastFailure = () =>
    [...f.events].reverse().find((e) => e.action === 'auth.login_failed')?.details as
      { reason: string } | undefined;
  const identitiesOf = (userId: string) => f.ctx.db.system.ssoIdentity.count({ where: { userId } });

  it.each([
    ['the string "false"', 'false'],
    ['the string "true"', 'true'],
    ['a missing claim', 'absent'],
    ['the boolean false', false],
  ])('refuses %s for an existing account and links nothing', async (label, claim) => {
    const email = `existing-${label.replace(/\W/g, '')}@linkco.example`;
    const existing = await f.ctx.db.prisma.user.create({ data: { email } });
    const page = await signIn(`sub-${email}`, email, claim);
    expect(page.status).toBe(403);
    expect(page.body).toContain('did not send a verified email address');
    expect(lastFailure()?.reason).toBe('missing_email');
    expect(await identitiesOf(existing.id)).toBe(0);
    expect(await f.ctx.db.system.membership.count({ where: { userId: existing.id, orgId: org.id } })).toBe(0);
  });

  it('refuses an unverified email for a new account too (the email is the global account key)', async () => {
    const page = await signIn('new-sub', 'newcomer@linkco.example', 'absent');
    expect(page.status).toBe(403);
    expect(await f.ctx.db.prisma.user.findFirst({ where: { email: 'newcomer@linkco.example' } })).toBeNull();
  });

  it('links a strictly verified email (true) to an account no other org holds, and audits it', async () => {
    const existing = await f.ctx.db.prisma.user.create({ data: { email: 'verified@linkco.example' } });
    const page = await signIn('verified-sub', 'verified@linkco.example', true);
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body).user.id).toBe(existing.id);
    expect(await identitiesOf(existing.id)).toBe(1);
    const linked = f.events.find((e) => e.action === 'identity.linked' && e.target?.id === existing.id);
    expect(linked).toMatchObject({ orgId: org.id, details: { protocol: 'oidc', by: 'verified_email' } });
    // The next sign-in goes through the owned (connection, subject) identity: no second link event.
    await signIn('verified-sub', 'verified@linkco.example', true);
    expect(
      f.events.filter((e) => e.action === 'identity.linked' && e.target?.id === existing.id),
    ).toHaveLength(1);
  });

  it.each([
    ['a member of another org', 'membership'],
    ['another org’s SSO identity', 'identity'],
    ['another org’s SCIM user', 'scim'],
  ])('refuses to reach an account that is %s, even with a verified email', async (_label, kind) => {
    const victimOrg = await f.org();
    const email = `victim-${kind}@linkco.example`;
    const victim = await f.ctx.db.prisma.user.create({ data: { email, name: 'Victim' } });
    if (kind === 'membership') {
      await f.ctx.db.system.membership.create({
        data: { orgId: victimOrg.id, userId: victim.id, role: 'owner' },
      });
    } else if (kind === 'identity') {
      const other = await insertConnection(f.ctx.db, createSecretBox(f.ctx.keyring), {
        orgId: victimOrg.id,
        protocol: 'oidc',
        name: 'Victim IdP',
        config: { issuer: 'https://idp.victim.example', clientId: 'x' },
        secret: null,
        groupRoleMap: {},
        defaultRole: 'member',
      });
      await f.ctx.db.system.ssoIdentity.create({
        data: { orgId: victimOrg.id, connectionId: other.id, subject: 'v', userId: victim.id, groups: [] },
      });
    } else {
      await f.ctx.db.system.scimUser.create({
        data: { orgId: victimOrg.id, userId: victim.id, externalId: null, active: true },
      });
    }
    const page = await signIn(`attacker-${kind}`, email, true);
    expect(page.status).toBe(403);
    expect(page.body).toContain('does not manage');
    expect(page.headers.get('set-cookie') ?? '').not.toMatch(/airlock_session=als_/);
    expect(lastFailure()?.reason).toBe('account_held_elsewhere');
    expect(await f.ctx.db.system.ssoIdentity.count({ where: { userId: victim.id, orgId: org.id } })).toBe(0);
    expect(await f.ctx.db.system.membership.count({ where: { userId: victim.id, orgId: org.id } })).toBe(0);
  });
});
