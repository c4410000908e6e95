import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  abilityMap,
  declarationOf,
  publicRoutes,
  routesOf,
  unauthenticatedRoutes,
  undeclaredRoutes,
  type MountedRoute,
} from '@airlock/common/testing';
import { startFixture, type Fixture } from '../fixture.js';

// Rule: every identity route declares what it does (access.authorize(action, subject)) or why it
// needs no principal (publicRoute(why)). The lists are pinned: a new route, or a changed
// declaration, fails here until it is written down.
describe('identity route abilities', () => {
  let f: Fixture;
  let routes: MountedRoute[];

  beforeAll(async () => {
    f = await startFixture();
    routes = routesOf(f.instance.router);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('finds the routes and every one declares an ability or a public reason', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(undeclaredRoutes(routes)).toEqual([]);
  });

  it('authenticates before it authorizes, on every declared route', () => {
    expect(unauthenticatedRoutes(routes)).toEqual([]);
  });

  it('pins the public routes, each with its reason', () => {
    const why = (r: MountedRoute) => {
      const d = declarationOf(r);
      return d.kind === 'public' ? d.why : undefined;
    };
    const reasons = Object.fromEntries(
      routes.filter((r) => why(r) !== undefined).map((r) => [`${r.method} ${r.path}`, why(r)]),
    );
    const scim = 'own credential: SCIM token';
    expect(reasons).toEqual({
      'GET /auth/login': 'starts a sign-in',
      'GET /auth/oidc/callback': 'finishes a sign-in: the IdP sends its answer',
      'POST /auth/saml/:org/acs': 'finishes a sign-in: the IdP sends its answer',
      'GET /auth/saml/:org/metadata': "the SP's public SAML metadata",
      'POST /auth/local/login': 'break-glass sign-in (no org)',
      'POST /auth/local/mfa/enroll': 'break-glass TOTP enrolment: the enrolment token is the credential',
      'POST /auth/logout': 'ends the session its own cookie names (none: nothing to end)',
      'GET /scim/v2/ServiceProviderConfig': scim,
      'GET /scim/v2/Users': scim,
      'POST /scim/v2/Users': scim,
      'GET /scim/v2/Users/:id': scim,
      'PUT /scim/v2/Users/:id': scim,
      'PATCH /scim/v2/Users/:id': scim,
      'DELETE /scim/v2/Users/:id': scim,
      'GET /scim/v2/Groups': scim,
      '_ALL /scim/v2/Groups{/*rest}': scim,
      'POST /oauth/device/code': 'starts a CLI sign-in (a signed-in member approves it at /device)',
      'POST /oauth/token': 'the CLI picks up its token with the device code',
    });
    expect(publicRoutes(routes)).toEqual(Object.keys(reasons));
  });

  it('pins the ability of every other route', () => {
    expect(abilityMap(routes)).toEqual([
      'GET /api/v1/me → read Session (org-or-platform, admin)',
      'DELETE /auth/users/:userId/sessions → delete Session (org-or-platform, admin)',
      'POST /api/v1/tokens → create ApiToken (org, admin)',
      'GET /api/v1/tokens → read ApiToken (org, admin)',
      'DELETE /api/v1/tokens/:id → delete ApiToken (org, admin)',
      'POST /api/v1/tokens/:id/rotate → update ApiToken (org, admin)',
      'POST /api/v1/sso/connections/:id/test → read SsoConnection (org, admin)',
      'POST /api/v1/sso/orgs/:orgId/connections/:id/test → read SsoConnection (platform, admin)',
      'GET /api/v1/sso/connections/:id/test-result → read SsoConnection (org, admin)',
      'GET /api/v1/sso/orgs/:orgId/connections/:id/test-result → read SsoConnection (platform, admin)',
      'GET /api/v1/sso/connections → read SsoConnection (org, admin)',
      'GET /api/v1/sso/orgs/:orgId/connections → read SsoConnection (platform, admin)',
      'GET /api/v1/sso/connections/:id → read SsoConnection (org, admin)',
      'GET /api/v1/sso/orgs/:orgId/connections/:id → read SsoConnection (platform, admin)',
      'POST /api/v1/sso/connections → create SsoConnection (org, admin)',
      'POST /api/v1/sso/orgs/:orgId/connections → create SsoConnection (platform, admin)',
      'PATCH /api/v1/sso/connections/:id → update SsoConnection (org, admin)',
      'PATCH /api/v1/sso/orgs/:orgId/connections/:id → update SsoConnection (platform, admin)',
      'DELETE /api/v1/sso/connections/:id → delete SsoConnection (org, admin)',
      'DELETE /api/v1/sso/orgs/:orgId/connections/:id → delete SsoConnection (platform, admin)',
      'POST /api/v1/sso/scim-tokens → create ScimToken (org, admin)',
      'GET /api/v1/sso/scim-tokens → read ScimToken (org, admin)',
      'DELETE /api/v1/sso/scim-tokens/:id → delete ScimToken (org, admin)',
      'POST /api/v1/sso/orgs/:orgId/scim-tokens → create ScimToken (platform, admin)',
      'GET /api/v1/sso/orgs/:orgId/scim-tokens → read ScimToken (platform, admin)',
      'DELETE /api/v1/sso/orgs/:orgId/scim-tokens/:id → delete ScimToken (platform, admin)',
      // The pages are every signed-in person's; approving is checked as creating an API token.
      'GET /device → read Session (org-or-platform, admin)',
      'POST /device → read Session (org-or-platform, admin)',
    ]);
  });
});
