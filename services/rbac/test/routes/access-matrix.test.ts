// Every rbac route × every role × own org / other org, with the expected status of each.
// "Other org" targets a resource of a second org (its id, a member, a policy version) from
// a caller of the first. After the walk, the second org must be exactly as it was: no
// cross-org read or write succeeded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, createPlatformAdmin, createUser } from '@airlock/common/testing';
import request from 'supertest';
import { createMember, samplePolicy, startRbac, type Member, type RbacHarness } from '../fixtures.js';

const CALLERS = ['owner', 'admin', 'member', 'viewer', 'platform', 'anonymous'] as const;
type Caller = (typeof CALLERS)[number];
type Expect = Record<Caller, number>;

interface OrgFixture {
  id: string;
  members: Record<'owner' | 'admin' | 'member' | 'viewer', Member>;
  /** A member who never calls, so no caller ever names themselves. */
  bystander: string;
  /** A policy version only this org has (A's writes during the walk never reach B's 900). */
  onlyVersion: number;
}

interface Call {
  h: RbacHarness;
  /** Sets the caller's credentials on a request. */
  as: (r: request.Test) => request.Test;
  /** The org whose resources the call names (the caller's own, or the other one). */
  target: OrgFixture;
  /** The caller's own org (A), where writes without a target land. */
  home: OrgFixture;
}

interface Route {
  name: string;
  own: Expect;
  /** Omitted when the route names no resource (it can only act on the caller's org). */
  other?: Expect;
  call: (c: Call) => Promise<request.Response>;
}

// Compact expectations: owner, admin, member, viewer, platform admin, no credentials.
const e = (
  owner: number,
  admin: number,
  member: number,
  viewer: number,
  platform: number,
  anonymous: number,
): Expect => ({
  owner,
  admin,
  member,
  viewer,
  platform,
  anonymous,
});
const PLATFORM_ONLY = (ok: number) => e(403, 403, 403, 403, ok, 401);
const ADMINS = (ok: number) => e(ok, ok, 403, 403, 403, 401);
const EVERY_MEMBER = (ok: number) => e(ok, ok, ok, ok, 403, 401);
const ADMINS_NOT_FOUND = e(404, 404, 403, 403, 403, 401);

async function freshMember(c: Call, org: OrgFixture): Promise<string> {
  return (await createMember(c.h.db, org.id, 'member')).userId;
}

/** An open invitation of the org the call names. */
async function freshInvitation(c: Call): Promise<string> {
  const email = (await createUser(c.h.db)).email;
  const grant = await c.h.db.system.pendingGrant.create({
    data: { orgId: c.target.id, email, role: 'viewer', expiresAt: new Date(Date.now() + 86_400_000) },
  });
  return grant.id;
}

async function currentVersion(c: Call, orgId: string): Promise<number> {
  return (
    (await c.h.db.system.orgPolicy.findFirst({ where: { orgId }, orderBy: { version: 'desc' } }))?.version ??
    0
  );
}

async function restoreActive(c: Call, orgId: string): Promise<void> {
  await c.h.db.system.org.update({ where: { id: orgId }, data: { status: 'active' } });
  await c.h.rbac.resolver.invalidate({ type: 'org', id: orgId });
}

const ROUTES: Route[] = [
  {
    name: 'GET /api/v1/orgs',
    own: PLATFORM_ONLY(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/orgs')),
  },
  {
    name: 'POST /api/v1/orgs',
    own: PLATFORM_ONLY(201),
    call: (c) =>
      c
        .as(request(c.h.app).post('/api/v1/orgs'))
        .send({ slug: `m-${Math.random().toString(36).slice(2, 10)}`, name: 'M' }),
  },
  {
    name: 'GET /api/v1/orgs/:id',
    own: PLATFORM_ONLY(200),
    other: PLATFORM_ONLY(200),
    call: (c) => c.as(request(c.h.app).get(`/api/v1/orgs/${c.target.id}`)),
  },
  {
    name: 'POST /api/v1/orgs/:id/suspend',
    own: PLATFORM_ONLY(200),
    other: PLATFORM_ONLY(200),
    call: async (c) => {
      const res = await c.as(request(c.h.app).post(`/api/v1/orgs/${c.target.id}/suspend`));
      await restoreActive(c, c.target.id);
      return res;
    },
  },
  {
    name: 'POST /api/v1/orgs/:id/activate',
    own: PLATFORM_ONLY(200),
    other: PLATFORM_ONLY(200),
    call: (c) => c.as(request(c.h.app).post(`/api/v1/orgs/${c.target.id}/activate`)),
  },
  {
    name: 'GET /api/v1/orgs/current',
    own: EVERY_MEMBER(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/orgs/current')),
  },
  {
    name: 'GET /api/v1/members',
    own: ADMINS(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/members')),
  },
  {
    name: 'GET /api/v1/members/:userId',
    own: ADMINS(200),
    other: ADMINS_NOT_FOUND,
    call: (c) => c.as(request(c.h.app).get(`/api/v1/members/${c.target.bystander}`)),
  },
  {
    // Never attaches anyone: a non-member gets an invitation.
    name: 'POST /api/v1/members',
    own: ADMINS(202),
    call: async (c) =>
      c
        .as(request(c.h.app).post('/api/v1/members'))
        .send({ email: (await createUser(c.h.db)).email, role: 'viewer' }),
  },
  {
    name: 'GET /api/v1/members/invitations',
    own: ADMINS(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/members/invitations')),
  },
  {
    name: 'GET /api/v1/members/invitations/:id',
    own: ADMINS(200),
    other: ADMINS_NOT_FOUND,
    call: async (c) => c.as(request(c.h.app).get(`/api/v1/members/invitations/${await freshInvitation(c)}`)),
  },
  {
    name: 'DELETE /api/v1/members/invitations/:id',
    own: ADMINS(204),
    other: ADMINS_NOT_FOUND,
    call: async (c) =>
      c.as(request(c.h.app).delete(`/api/v1/members/invitations/${await freshInvitation(c)}`)),
  },
  {
    name: 'PATCH /api/v1/members/:userId',
    own: ADMINS(200),
    other: ADMINS_NOT_FOUND,
    call: async (c) =>
      c
        .as(
          request(c.h.app).patch(
            `/api/v1/members/${c.target === c.home ? await freshMember(c, c.home) : c.target.members.member.userId}`,
          ),
        )
        .send({ role: 'viewer' }),
  },
  {
    name: 'DELETE /api/v1/members/:userId',
    own: ADMINS(204),
    other: ADMINS_NOT_FOUND,
    call: async (c) =>
      c.as(
        request(c.h.app).delete(
          `/api/v1/members/${c.target === c.home ? await freshMember(c, c.home) : c.target.members.member.userId}`,
        ),
      ),
  },
  {
    name: 'GET /api/v1/policy',
    // The full policy is admin material (members and viewers: the effective view).
    own: ADMINS(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/policy')),
  },
  {
    name: 'PUT /api/v1/policy',
    own: ADMINS(200),
    call: async (c) =>
      c
        .as(request(c.h.app).put('/api/v1/policy'))
        .set('If-Match', `"${await currentVersion(c, c.home.id)}"`)
        .send({ policy: samplePolicy() }),
  },
  {
    name: 'GET /api/v1/policy/versions',
    // The full policy is admin material (members and viewers: the effective view).
    own: ADMINS(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/policy/versions')),
  },
  {
    name: 'GET /api/v1/policy/versions/:version',
    own: ADMINS(200),
    other: e(404, 404, 403, 403, 403, 401),
    call: (c) => c.as(request(c.h.app).get(`/api/v1/policy/versions/${c.target.onlyVersion}`)),
  },
  {
    name: 'POST /api/v1/policy/rollback',
    own: ADMINS(201),
    call: (c) => c.as(request(c.h.app).post('/api/v1/policy/rollback')).send({ version: 1 }),
  },
  {
    name: 'GET /api/v1/policy/effective',
    own: EVERY_MEMBER(200),
    call: (c) => c.as(request(c.h.app).get('/api/v1/policy/effective')),
  },
  {
    name: 'GET /api/v1/policy/effective?user=',
    own: ADMINS(200),
    other: ADMINS_NOT_FOUND,
    call: (c) => c.as(request(c.h.app).get(`/api/v1/policy/effective?user=${c.target.bystander}`)),
  },
];

describe('rbac access matrix', () => {
  let h: RbacHarness;
  let orgA: OrgFixture;
  let orgB: OrgFixture;
  let platformCookie: string;
  let snapshotB: () => Promise<unknown>;
  let before: unknown;

  async function orgFixture(versions: number[]): Promise<OrgFixture> {
    const id = (await createOrg(h.db)).id;
    const members = {
      owner: await createMember(h.db, id, 'owner'),
      admin: await createMember(h.db, id, 'admin'),
      member: await createMember(h.db, id, 'member'),
      viewer: await createMember(h.db, id, 'viewer'),
    };
    for (const version of versions) {
      await h.db.system.orgPolicy.create({ data: { orgId: id, version, document: samplePolicy() } });
    }
    const bystander = (await createMember(h.db, id, 'member')).userId;
    return { id, members, bystander, onlyVersion: versions.at(-1)! };
  }

  beforeAll(async () => {
    h = await startRbac();
    orgA = await orgFixture([1]);
    orgB = await orgFixture([1, 2, 900]);
    platformCookie = (await createPlatformAdmin(h.db)).cookie;
    snapshotB = async () => ({
      org: await h.db.system.org.findUnique({
        where: { id: orgB.id },
        select: { status: true, name: true, allowedEmailDomains: true },
      }),
      members: await h.db.system.membership.findMany({
        where: { orgId: orgB.id },
        select: { userId: true, role: true },
        orderBy: { userId: 'asc' },
      }),
      versions: await h.db.system.orgPolicy.findMany({
        where: { orgId: orgB.id },
        select: { version: true },
        orderBy: { version: 'asc' },
      }),
    });
    before = await snapshotB();
  });
  afterAll(async () => {
    await h.close();
  });

  function as(caller: Caller): (r: request.Test) => request.Test {
    if (caller === 'anonymous') return (r) => r;
    if (caller === 'platform') return (r) => r.set('Cookie', platformCookie);
    // Owners and members use API tokens, admins and viewers sessions: both paths are walked.
    const m = orgA.members[caller];
    return caller === 'owner' || caller === 'member'
      ? (r) => r.set('Authorization', m.bearer)
      : (r) => r.set('Cookie', m.cookie);
  }

  const cases = ROUTES.flatMap((route) =>
    CALLERS.flatMap((caller) => [
      { route, caller, scope: 'own' as const, status: route.own[caller] },
      ...(route.other ? [{ route, caller, scope: 'other' as const, status: route.other[caller] }] : []),
    ]),
  );

  it.each(cases.map((c) => [c.route.name, c.caller, c.scope, c.status, c] as const))(
    '%s as %s on %s org answers %i',
    async (_name, caller, scope, status, c) => {
      const res = await c.route.call({
        h,
        as: as(caller),
        target: scope === 'own' ? orgA : orgB,
        home: orgA,
      });
      expect({ status: res.status, code: res.status >= 400 ? res.body.error?.code : undefined }).toEqual({
        status,
        code: status >= 400 ? expect.any(String) : undefined,
      });
      if (res.status < 300 && res.body && typeof res.body === 'object') {
        // No successful org-scoped response carries the other org's data.
        const text = JSON.stringify(res.body);
        const isPlatformList = c.route.name.startsWith('GET /api/v1/orgs') && caller === 'platform';
        if (!isPlatformList) {
          for (const m of [...Object.values(orgB.members).map((x) => x.userId), orgB.bystander]) {
            expect(text).not.toContain(m);
          }
          if (scope === 'own') expect(text).not.toContain(orgB.id);
        }
      }
    },
  );

  it('left the other org exactly as it was', async () => {
    expect(await snapshotB()).toEqual(before);
  });

  it('walked every route in the table for every caller', () => {
    expect(new Set(cases.map((c) => `${c.route.name}|${c.caller}`)).size).toBe(
      ROUTES.length * CALLERS.length,
    );
  });
});
