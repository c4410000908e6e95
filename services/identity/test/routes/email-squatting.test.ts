// Rule (issue 12, squatting): an org that claims no email domains cannot take an address for
// good. Its IdP's sign-ins create accounts that do not hold their email (reached only by their
// (connection, subject) identity) and its SCIM creates no accounts at all, so the org that
// owns the domain still signs in and provisions those people later. The break-glass account
// stays out of reach. Real oidc-provider, real Postgres, all-in-one mounting.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { insertScimToken } from '../../src/store/scim-tokens.js';
import { callbackUrl } from '../../src/domain/oidc.js';

const OWNED = 'owned-domain.example';

describe('an org without claimed domains cannot squat email addresses', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let squatter: { id: string; slug: string };
  let owner: { id: string; slug: string };

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    squatter = await f.org('squatter', []);
    owner = await f.org('domain-owner', [OWNED]);
    for (const org of [squatter, owner]) {
      await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, {
        orgId: org.id,
        name: `${org.slug} IdP`,
        config: { scopes: ['openid', 'email', 'profile'] },
      });
    }
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  async function signIn(slug: string, sub: string, email: string) {
    idp.signInAs({ sub, email, name: 'Dev', groups: [], emailVerified: true });
    const page = await new Browser().get(`${f.url}/auth/login?org=${slug}&returnTo=/api/v1/me`);
    return {
      status: page.status,
      me: page.status === 200 ? (JSON.parse(page.body) as { user: { id: string; email: string } }) : null,
    };
  }
  const accounts = (email: string) =>
    f.ctx.db.prisma.user.findMany({ where: { email }, orderBy: { createdAt: 'asc' } });

  it('the squatter’s sign-in does not hold the email; the owning org’s IdP and SCIM still reach it', async () => {
    const email = `dev@${OWNED}`;
    const squat = await signIn('squatter', 'squat-sub', email);
    expect(squat.status).toBe(200);
    expect(squat.me!.user.email).toBe(email);
    const [squatAccount] = await accounts(email);
    expect(squatAccount).toMatchObject({ id: squat.me!.user.id, holdsEmail: false });

    // The real owner's IdP: a new account holding the email, in the owner's org only.
    const real = await signIn('domain-owner', 'real-sub', email);
    expect(real.status).toBe(200);
    expect(real.me!.user.id).not.toBe(squat.me!.user.id);
    const list = await accounts(email);
    expect(list.map((u) => [u.id, u.holdsEmail])).toEqual([
      [squat.me!.user.id, false],
      [real.me!.user.id, true],
    ]);
    const memberships = await f.ctx.db.system.membership.findMany({
      where: { userId: { in: list.map((u) => u.id) } },
      select: { orgId: true, userId: true },
    });
    expect(memberships.sort((a, b) => a.orgId.localeCompare(b.orgId))).toEqual(
      [
        { orgId: squatter.id, userId: squat.me!.user.id },
        { orgId: owner.id, userId: real.me!.user.id },
      ].sort((a, b) => a.orgId.localeCompare(b.orgId)),
    );
    // Each IdP identity keeps reaching its own account.
    expect((await signIn('squatter', 'squat-sub', email)).me!.user.id).toBe(squat.me!.user.id);
    expect((await signIn('domain-owner', 'real-sub', email)).me!.user.id).toBe(real.me!.user.id);
  }, 30_000);

  it('the owning org’s SCIM attaches an address the squatter signed in first', async () => {
    const email = `ops@${OWNED}`;
    expect((await signIn('squatter', 'ops-sub', email)).status).toBe(200);
    const token = (await insertScimToken(f.ctx.db, owner.id)).token;
    const res = await fetch(`${f.url}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ userName: email, emails: [{ value: email, primary: true }], active: true }),
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    const m = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: owner.id, userId: id } },
    });
    expect(m?.role).toBe('member');
    expect((await f.ctx.db.prisma.user.findUniqueOrThrow({ where: { id } })).holdsEmail).toBe(true);
  }, 30_000);

  it('the squatter reaches neither the owner’s members nor the break-glass account by email', async () => {
    const email = `lead@${OWNED}`;
    const real = await signIn('domain-owner', 'lead-sub', email);
    expect(real.status).toBe(200);
    const before = await f.ctx.db.system.membership.findMany({ where: { userId: real.me!.user.id } });
    const squat = await signIn('squatter', 'lead-squat-sub', email);
    expect(squat.status).toBe(200);
    expect(squat.me!.user.id).not.toBe(real.me!.user.id);
    expect(await f.ctx.db.system.membership.findMany({ where: { userId: real.me!.user.id } })).toEqual(
      before,
    );
    expect(
      await f.ctx.db.system.ssoIdentity.count({ where: { userId: real.me!.user.id, orgId: squatter.id } }),
    ).toBe(0);

    await f.ctx.db.prisma.user.create({ data: { email: `root@${OWNED}`, isPlatformAdmin: true } });
    expect((await signIn('squatter', 'root-sub', `root@${OWNED}`)).status).toBe(403);
    expect(await accounts(`root@${OWNED}`)).toHaveLength(1);
  }, 30_000);
});
