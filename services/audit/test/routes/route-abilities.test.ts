// Every audit route declares what it does (common's authorize()), so a new route cannot skip
// the rule: the walk fails for an undeclared one, and the map below changes only on purpose.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  abilityMap,
  publicRoutes,
  routesOf,
  unauthenticatedRoutes,
  undeclaredRoutes,
  type MountedRoute,
} from '@airlock/common/testing';
import { startFixture, type Fixture } from '../fixture.js';

describe('audit route abilities', () => {
  let f: Fixture;
  let routes: MountedRoute[];

  beforeAll(async () => {
    f = await startFixture();
    routes = routesOf(f.router);
  });
  afterAll(async () => {
    await f.close();
  });

  it('declares an ability on every route', () => {
    expect(routes.length).toBe(4);
    expect(undeclaredRoutes(routes)).toEqual([]);
  });

  it('authenticates before it authorizes, on every route', () => {
    expect(unauthenticatedRoutes(routes)).toEqual([]);
  });

  it('has no public route', () => {
    expect(publicRoutes(routes)).toEqual([]);
  });

  it('pins the ability of every route', () => {
    expect(abilityMap(routes)).toEqual([
      'GET /api/v1/audit-events → read AuditEvent (org-or-platform, admin)',
      'GET /api/v1/audit-events/export → export AuditEvent (org-or-platform, admin)',
      'GET /api/v1/audit-events/verify → read AuditEvent (org-or-platform, admin)',
      'GET /api/v1/audit/stats → read Usage (org, admin)',
    ]);
  });
});
