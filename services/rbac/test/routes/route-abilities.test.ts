// Every rbac route declares what it does (common's authorize()), so a new route cannot skip
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
import { startRbac, type RbacHarness } from '../fixtures.js';

describe('rbac route abilities', () => {
  let h: RbacHarness;
  let routes: MountedRoute[];

  beforeAll(async () => {
    h = await startRbac();
    routes = routesOf(h.rbac.router);
  });
  afterAll(async () => {
    await h.close();
  });

  it('declares an ability on every route', () => {
    expect(routes.length).toBe(24);
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
      'POST /api/v1/orgs/:id/pending-owners → update Org (platform, admin)',
      'GET /api/v1/orgs/:id/pending-owners → read Org (platform, admin)',
      'DELETE /api/v1/orgs/:id/pending-owners/:grantId → update Org (platform, admin)',
      'GET /api/v1/orgs/current → read Org (org, admin)',
      'PATCH /api/v1/orgs/current → update Org (org, admin)',
      'POST /api/v1/orgs → create Org (platform, admin)',
      'GET /api/v1/orgs → read Org (platform, admin)',
      'GET /api/v1/orgs/:id → read Org (platform, admin)',
      'POST /api/v1/orgs/:id/suspend → update Org (platform, admin)',
      'POST /api/v1/orgs/:id/activate → update Org (platform, admin)',
      'GET /api/v1/members/invitations → create Member (org, admin)',
      'GET /api/v1/members/invitations/:id → create Member (org, admin)',
      'DELETE /api/v1/members/invitations/:id → create Member (org, admin)',
      'GET /api/v1/members → read Member (org, admin)',
      'GET /api/v1/members/:userId → read Member (org, admin)',
      'POST /api/v1/members → create Member (org, admin)',
      'PATCH /api/v1/members/:userId → update Member (org, admin)',
      'DELETE /api/v1/members/:userId → delete Member (org, admin)',
      'GET /api/v1/policy → read Policy (org, admin)',
      'PUT /api/v1/policy → update Policy (org, admin)',
      'GET /api/v1/policy/versions → read Policy (org, admin)',
      'GET /api/v1/policy/versions/:version → read Policy (org, admin)',
      'POST /api/v1/policy/rollback → update Policy (org, admin)',
      'GET /api/v1/policy/effective → read EffectivePolicy (org, admin)',
    ]);
  });
});
