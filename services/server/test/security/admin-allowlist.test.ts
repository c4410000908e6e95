import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import {
  authScopeOf,
  routeAbilityOf,
  createLogger,
  runModules,
  type Role,
  type RunningServer,
} from '@airlock/common';
import {
  addMember,
  createOrg,
  createSession,
  createTestDatabase,
  routesOf,
  serverEnv,
  type MountedRoute,
  type TestDatabase,
} from '@airlock/common/testing';
import { modulesFor } from '../../src/modules.js';

// Rule: every route that acts for an org passes the org's admin IP allowlist, in every
// service. The check lives in common's authenticate(); this suite walks the router stacks of
// every module of the all-in-one and fails for a route that authenticates without it (or does
// not authenticate and is not on the short list of public routes below).

/** Routes that do not authenticate a principal here, and why. Each must exist. */
const PUBLIC: Array<[method: string, path: string, why: string]> = [
  ['GET', '/auth/login', 'starts a sign-in'],
  ['GET', '/auth/oidc/callback', 'finishes a sign-in'],
  ['POST', '/auth/saml/:org/acs', 'finishes a sign-in'],
  ['GET', '/auth/saml/:org/metadata', "the SP's public metadata"],
  ['POST', '/auth/local/login', 'break-glass sign-in (no org)'],
  ['POST', '/auth/local/mfa/enroll', 'break-glass TOTP enrolment (no org)'],
  ['POST', '/auth/logout', 'ends the caller’s own session'],
  ['POST', '/oauth/device/code', 'starts a CLI sign-in (the browser approval needs a session)'],
  ['POST', '/oauth/token', 'the CLI picks up its token with the device code'],
];
/** Sub-trees with their own credential: SCIM tokens are used by the IdP, from the IdP. */
const OWN_CREDENTIAL_PREFIXES = ['/scim/v2'];
/** The data plane: model calls are governed by tokens and policy, not the admin allowlist. */
const DATA_PLANE_PREFIXES = ['/v1/'];

describe('admin IP allowlist on every org route of every module', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let routes: MountedRoute[];
  let outsider: string; // a session whose org's allowlist excludes 127.0.0.1
  let insider: string; // a session in an org without an allowlist

  async function memberSession(role: Role, ipAllowlist: string[]): Promise<string> {
    const db = server.runtime.db;
    const org = await createOrg(db);
    const member = await addMember(db, org, role);
    await db.forOrg(org.id).orgPolicy.create({
      data: { orgId: org.id, version: 1, document: { admin: { ipAllowlist } } },
    });
    return (await createSession(db, member)).cookie;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await runModules({
      modules: modulesFor('all'),
      service: 'all',
      logger: createLogger({ level: 'silent', service: 'all' }),
      env: serverEnv(database),
    });
    routes = routesOf(server.app as unknown as { router: Router });
    outsider = await memberSession('owner', ['203.0.113.0/24']);
    insider = await memberSession('owner', []);
  });
  afterAll(async () => {
    await server?.shutdown();
    await database?.drop();
  });

  const isPublic = (r: MountedRoute) => PUBLIC.some(([m, p]) => m === r.method && p === r.path);
  const ownCredential = (r: MountedRoute) => OWN_CREDENTIAL_PREFIXES.some((p) => r.path.startsWith(p));
  const dataPlane = (r: MountedRoute) => DATA_PLANE_PREFIXES.some((p) => r.path.startsWith(p));
  const adminRoutes = () =>
    routes.filter(
      (r) =>
        !isPublic(r) &&
        !ownCredential(r) &&
        !dataPlane(r) &&
        !['/healthz', '/readyz', '/metrics'].includes(r.path),
    );

  it('finds the routes of every module, and every public exception still exists', () => {
    for (const prefix of [
      '/api/v1/members',
      '/api/v1/policy',
      '/api/v1/sso',
      '/api/v1/tokens',
      '/api/v1/audit-events',
      '/auth/users',
      '/v1/',
    ]) {
      expect(routes.some((r) => r.path.startsWith(prefix))).toBe(true);
    }
    for (const [method, path] of PUBLIC)
      expect(routes.some((r) => r.method === method && r.path === path)).toBe(true);
  });

  // The allowlist is applied by authenticate() (scope 'admin') or, for credentials that leave
  // it to the route (scope 'authorize'), by the route's authorize() on the admin plane.
  const plane = (r: MountedRoute) => routeAbilityOf(r.handlers.find((h) => routeAbilityOf(h)))?.plane;
  const checksAllowlist = (r: MountedRoute) =>
    r.handlers.some((h) => authScopeOf(h) === 'admin') ||
    (r.handlers.some((h) => authScopeOf(h) === 'authorize') && plane(r) === 'admin');
  const skipsAllowlist = (r: MountedRoute) =>
    r.handlers.some((h) => authScopeOf(h) === 'authorize') && plane(r) === 'data';

  it('authenticates every non-public route with the admin-scope check (data plane excepted)', () => {
    const unguarded = adminRoutes()
      .filter((r) => !checksAllowlist(r))
      .map((r) => `${r.method} ${r.path}`);
    expect(unguarded).toEqual([]);
    const dataPlaneUnscoped = routes
      .filter((r) => dataPlane(r) && !skipsAllowlist(r))
      .map((r) => `${r.method} ${r.path}`);
    expect(dataPlaneUnscoped).toEqual([]);
  });

  it('refuses every admin route from an address outside the org allowlist, before anything else', async () => {
    const list = adminRoutes();
    expect(list.length).toBeGreaterThan(30);
    const admitted: string[] = [];
    for (const r of list) {
      const path = r.path.replace(/:(\w+)/g, () => randomUUID()).replace(/\*\w+/g, 'x');
      const res = await fetch(`${server.url}${path}`, {
        method: r.method,
        headers: { cookie: outsider, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
        body: ['GET', 'HEAD'].includes(r.method) ? undefined : '{}',
      });
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      if (res.status !== 403 || !/allowlist/.test(body.error?.message ?? ''))
        admitted.push(`${r.method} ${r.path}: ${res.status}`);
    }
    expect(admitted).toEqual([]);
  });

  it('admits the same routes when the org has no allowlist', async () => {
    const res = await fetch(`${server.url}/api/v1/sso/connections`, { headers: { cookie: insider } });
    expect(res.status).toBe(200);
    const revoke = await fetch(`${server.url}/api/v1/audit-events`, { headers: { cookie: insider } });
    expect(revoke.status).toBe(200);
  });
});
