// Everything the identity routes share, built once in module.ts from the module deps.
import type { RequestHandler } from 'express';
import type { ModuleDeps, PolicyReader, PrincipalResolver } from '@airlock/common';
import type { IdentityConfig } from './config.js';

export interface IdentityContext extends ModuleDeps {
  settings: IdentityConfig;
  /** access.resolver: cache invalidation after revocations. */
  resolver: PrincipalResolver;
  /** access.policies: an org's session limits. */
  policies: PolicyReader;
  /** True when AIRLOCK_PUBLIC_URL is https: Secure + __Host- cookies. */
  secureCookies: boolean;
  /** Session cookie or bearer token; access.authorize() follows on every route. */
  anyCredential: RequestHandler;
  /** Session cookie only (creating credentials from a credential is not allowed). */
  sessionOnly: RequestHandler;
  /**
   * Platform routes (/api/v1/sso/orgs/:orgId/…): the bootstrap token, or a platform admin's
   * session (common/auth/bootstrap.ts, the same door as rbac's platform routes).
   */
  platformAdmin: RequestHandler;
}
