// Rule (issue 12 Medium 5): an org's SCIM token sees and touches only the org's own users, and
// its answers never reveal other tenants' users. SCIM POST /Users for every kind of account
// answers alike — 201 and the same resource for any email not yet a member here, 409
// `uniqueness` only for a duplicate within this org — and the resource then behaves like any
// other (read, filter, list, patch, replace, delete) without reaching the other tenant's user.
// Squatting: an org that claims no domains creates no accounts by SCIM, so it never blocks the
// org that owns the domain. Real Postgres, real HTTP, a real oidc-provider for the sign-in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { insertScimToken } from '../../src/store/scim-tokens.js';
import { callbackUrl } from '../../src/domain/oidc.js';

const DOMAIN = 'tenant.example';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
type Json = Record<string, unknown>;

describe('SCIM answers never reveal other tenants’ users', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let org: { id: string; slug: string };
  let other: { id: string };
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    org = await f.org('scim-here', [DOMAIN]);
    // The other tenant uses the same domain: its users are exactly the ones SCIM could probe.
    other = await f.org('scim-there', [DOMAIN]);
    token = (await insertScimToken(f.ctx.db, org.id)).token;
    otherToken = (await insertScimToken(f.ctx.db, other.id)).token;
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  async function scim(method: string, path: string, body?: unknown, bearer = token) {
    const res = await fetch(`${f.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : null) as Json,
      location: res.headers.get('location'),
    };
  }
  const user = (email: string, externalId: string, active = true) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName: 'Sam', familyName: 'Roe' },
    emails: [{ value: email, primary: true }],
    externalId,
    active,
  });
  /** The answer without what legitimately differs: ids, timestamps, the email, the externalId. */
  function shape(body: Json | null, email: string, externalId: string): unknown {
    const text = JSON.stringify(body ?? null)
      .replaceAll(email, '<email>')
      .replaceAll(externalId, '<externalId>');
    const copy = JSON.parse(text) as Json & { meta?: Json; error?: Json };
    delete copy.id;
    if (copy.meta) for (const k of ['created', 'lastModified', 'location']) delete copy.meta[k];
    if (copy.error) delete copy.error.request_id;
    return copy;
  }
  /** Everything another tenant keeps about a user (the user row included). */
  async function tenantState(userId: string) {
    const [u, memberships, identities, scimRows, sessions, tokens] = await Promise.all([
      f.ctx.db.prisma.user.findUnique({ where: { id: userId } }),
      f.ctx.db.system.membership.findMany({ where: { userId } }),
      f.ctx.db.system.ssoIdentity.findMany({ where: { userId } }),
      f.ctx.db.system.scimUser.findMany({ where: { userId } }),
      f.ctx.db.system.session.findMany({ where: { userId } }),
      f.ctx.db.system.apiToken.findMany({ where: { userId } }),
    ]);
    return JSON.stringify({ u, memberships, identities, scimRows, sessions, tokens });
  }

  /** What the IdP does after creating a user, each answer reduced to its shape. */
  async function lifecycle(id: string, email: string, externalId: string) {
    const s = (r: { status: number; body: Json | null }) => [r.status, shape(r.body, email, externalId)];
    const filter = encodeURIComponent(`userName eq "${email}"`);
    const found = await scim('GET', `/Users?filter=${filter}`);
    const list = await scim('GET', '/Users');
    return {
      get: s(await scim('GET', `/Users/${id}`)),
      filter: [found.status, found.body.totalResults, (found.body.Resources as Json[])[0]?.id === id],
      listed: (list.body.Resources as Json[]).filter((r) => r.id === id).length,
      notOthers: (await scim('GET', `/Users/${id}`, undefined, otherToken)).status,
      deactivate: s(
        await scim('PATCH', `/Users/${id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        }),
      ),
      reactivate: s(await scim('PUT', `/Users/${id}`, user(email, externalId, true))),
      rename: s(
        await scim('PATCH', `/Users/${id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', value: { displayName: 'Sam Roe' } }],
        }),
      ),
      delete: (await scim('DELETE', `/Users/${id}`)).status,
      afterDelete: s(await scim('GET', `/Users/${id}`)),
    };
  }

  it('answers every kind of account alike, and changes nothing of the other tenant', async () => {
    const foreign = await f.ctx.db.prisma.user.create({
      data: { email: `theirs@${DOMAIN}`, name: 'Theirs' },
    });
    await f.ctx.db.system.membership.create({ data: { orgId: other.id, userId: foreign.id, role: 'owner' } });
    const foreignScim = await scim('POST', '/Users', user(foreign.email, 'their-ext'), otherToken);
    expect(foreignScim.status).toBe(409); // their own member: their duplicate
    await f.ctx.db.system.scimUser.create({ data: { orgId: other.id, userId: foreign.id, externalId: 'x' } });
    const loose = await f.ctx.db.prisma.user.create({ data: { email: `loose@${DOMAIN}` } });
    const root = await f.ctx.db.prisma.user.create({
      data: { email: `root@${DOMAIN}`, isPlatformAdmin: true },
    });
    const member = await f.user(org.id, 'member');
    await f.ctx.db.prisma.user.update({ where: { id: member.id }, data: { email: `member@${DOMAIN}` } });
    const before = { foreign: await tenantState(foreign.id), root: await tenantState(root.id) };

    const created: Record<string, { status: number; shape: unknown; location: boolean; id: string }> = {};
    const cases: [string, string][] = [
      ['new email', `new@${DOMAIN}`],
      ['another tenant’s member', foreign.email],
      ['an account in no org', loose.email],
      ['the break-glass account', root.email],
    ];
    for (const [name, email] of cases) {
      const res = await scim('POST', '/Users', user(email, `ext-${name}`));
      created[name] = {
        status: res.status,
        shape: shape(res.body, email, `ext-${name}`),
        location: res.location?.endsWith(`/Users/${String(res.body.id)}`) === true,
        id: res.body.id as string,
      };
    }
    const reference = created['new email']!;
    expect(reference.status).toBe(201);
    expect(reference.location).toBe(true);
    for (const [name] of cases) {
      expect([name, created[name]!.status, created[name]!.location, created[name]!.shape]).toEqual([
        name,
        reference.status,
        reference.location,
        reference.shape,
      ]);
    }

    // Duplicates within this org: SCIM's 409 uniqueness, all alike.
    const duplicates: [string, Json][] = [
      ['an existing member', user(`member@${DOMAIN}`, 'ext-fresh-1')],
      ['the same userName again (new email)', user(`new@${DOMAIN}`, 'ext-fresh-2')],
      ['the same userName again (another tenant’s member)', user(foreign.email, 'ext-fresh-3')],
      ['a duplicate externalId', user(`other-new@${DOMAIN}`, 'ext-new email')],
      [
        'a duplicate externalId of a pending user',
        user(`other-new2@${DOMAIN}`, 'ext-the break-glass account'),
      ],
    ];
    const answers = [];
    for (const [name, body] of duplicates) {
      const res = await scim('POST', '/Users', body);
      answers.push([
        name,
        res.status,
        res.body.scimType,
        shape(res.body, String(body.userName), String(body.externalId)),
      ]);
    }
    const first = answers[0]!;
    for (const a of answers) expect(a.slice(1)).toEqual(first.slice(1));
    expect(first.slice(1, 3)).toEqual([409, 'uniqueness']);
    expect(await f.ctx.db.prisma.user.count({ where: { email: { startsWith: 'other-new' } } })).toBe(0);

    // Then the IdP's usual calls behave alike on each.
    const flows: Record<string, unknown> = {};
    // Each flow touches only its own resource, so they run side by side.
    await Promise.all(
      cases.map(async ([name, email]) => {
        flows[name] = await lifecycle(created[name]!.id, email, `ext-${name}`);
      }),
    );
    for (const [name] of cases) expect([name, flows[name]]).toEqual([name, flows['new email']]);
    expect(flows['new email']).toMatchObject({
      filter: [200, 1, true],
      listed: 1,
      notOthers: 404,
      delete: 204,
    });

    // Attached: the new email and the account in no org. Never the other two.
    const hereOf = async (userId: string) =>
      f.ctx.db.system.membership.count({ where: { orgId: org.id, userId } });
    const fresh = await f.ctx.db.prisma.user.findFirstOrThrow({ where: { email: `new@${DOMAIN}` } });
    expect(await f.ctx.db.system.scimUser.count({ where: { orgId: org.id, userId: fresh.id } })).toBe(1);
    expect(await f.ctx.db.system.scimUser.count({ where: { orgId: org.id, userId: loose.id } })).toBe(1);
    expect(await hereOf(foreign.id)).toBe(0);
    expect(await hereOf(root.id)).toBe(0);
    expect(
      await f.ctx.db.system.scimUser.count({
        where: { orgId: org.id, userId: { in: [foreign.id, root.id] } },
      }),
    ).toBe(0);
    expect({ foreign: await tenantState(foreign.id), root: await tenantState(root.id) }).toEqual(before);
    // The other tenant's SCIM still sees its user as before.
    const theirs = await scim('GET', `/Users/${foreign.id}`, undefined, otherToken);
    expect([theirs.status, theirs.body.active]).toEqual([200, true]);
  }, 30_000); // some sixty SCIM calls on a shared machine

  it('squatting: an org claiming no domains creates no account by SCIM; the owning org still attaches it', async () => {
    const squatter = await f.org('scim-squatter', []);
    const squatToken = (await insertScimToken(f.ctx.db, squatter.id)).token;
    const owner = await f.org('scim-owner', ['owned.example']);
    const ownerToken = (await insertScimToken(f.ctx.db, owner.id)).token;
    const email = 'dev@owned.example';

    const squat = await scim('POST', '/Users', user(email, 'sq-1'), squatToken);
    expect(squat.status).toBe(201);
    expect(squat.body).toMatchObject({ userName: email, active: true, externalId: 'sq-1' });
    expect(await f.ctx.db.prisma.user.count({ where: { email } })).toBe(0);
    // Not even for an email no org uses: the squatter's SCIM users hold no email globally.
    const loose = await scim('POST', '/Users', user('nobody@nowhere.example', 'sq-2'), squatToken);
    expect(loose.status).toBe(201);
    expect(await f.ctx.db.prisma.user.count({ where: { email: 'nobody@nowhere.example' } })).toBe(0);

    const owned = await scim('POST', '/Users', user(email, 'own-1'), ownerToken);
    expect(owned.status).toBe(201);
    const account = await f.ctx.db.prisma.user.findFirstOrThrow({ where: { email } });
    expect(owned.body.id).toBe(account.id);
    const m = await f.ctx.db.system.membership.findUnique({
      where: { orgId_userId: { orgId: owner.id, userId: account.id } },
    });
    expect(m?.role).toBe('member');
    expect(await f.ctx.db.system.membership.count({ where: { orgId: squatter.id } })).toBe(0);
    // The squatter's resource is still only its own, never the owner's account.
    const still = await scim('GET', `/Users/${squat.body.id as string}`, undefined, squatToken);
    expect([still.status, still.body.id === account.id]).toEqual([200, false]);
  });

  it('an org claiming no domains: the person’s own sign-in through its IdP attaches its pending SCIM user', async () => {
    const open = await f.org('scim-open', []);
    const openToken = (await insertScimToken(f.ctx.db, open.id)).token;
    await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, {
      orgId: open.id,
      name: 'Open IdP',
      config: { scopes: ['openid', 'email', 'profile'] },
    });
    const email = 'joiner@open.example';
    const created = await scim('POST', '/Users', user(email, 'open-1'), openToken);
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    idp.signInAs({ sub: 'joiner-sub', email, name: 'Joiner', groups: [], emailVerified: true });
    const page = await new Browser().get(`${f.url}/auth/login?org=scim-open&returnTo=/api/v1/me`);
    expect([page.status, page.status === 200 ? '' : page.body]).toEqual([200, '']);
    const me = JSON.parse(page.body) as { user: { id: string }; role: string };
    expect(me.role).toBe('member');

    // The same resource id, now the account: active, externalId kept, listed once.
    const after = await scim('GET', `/Users/${id}`, undefined, openToken);
    expect(after.body).toMatchObject({ id, userName: email, externalId: 'open-1', active: true });
    const list = await scim('GET', '/Users', undefined, openToken);
    expect((list.body.Resources as Json[]).map((r) => r.id)).toEqual([id]);
    // Deactivating it through SCIM now ends the membership, as for any SCIM user.
    const off = await scim('DELETE', `/Users/${id}`, undefined, openToken);
    expect(off.status).toBe(204);
    expect(await f.ctx.db.system.membership.count({ where: { orgId: open.id, userId: me.user.id } })).toBe(0);
  }, 30_000);
});
