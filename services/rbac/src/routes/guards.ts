// Who gets past the door of each route group. Platform routes: the platform admin (a
// platform admin session, or the install's bootstrap token). Org routes: a session or API
// token bound to an org, from an address the org's admin IP allowlist admits (checked by
// common's authenticate for every service).
import {
  auditActorOf,
  authenticate,
  defineAbilityFor,
  platformAdminOrBootstrap,
  principalOf,
  requestMeta,
  type AppAbility,
  type Principal,
  type Role,
} from '@airlock/common';
import type { Request, RequestHandler } from 'express';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';

function authenticator(ctx: RbacContext): RequestHandler {
  return authenticate({
    resolver: ctx.resolver,
    accept: ['session', 'api_token'],
    secureCookies: ctx.secureCookies,
    adminAddresses: ctx.adminAddresses,
  });
}

/** Platform admin routes: a platform admin principal, or the bootstrap token (common). */
export function requirePlatformAdmin(ctx: RbacContext): RequestHandler {
  return platformAdminOrBootstrap({
    bootstrapToken: ctx.config.AIRLOCK_BOOTSTRAP_TOKEN,
    authenticate: authenticator(ctx),
    forbidden: rbacErrors.platformOnly,
  });
}

/** Any authenticated principal (org routes check the org and the allowlist next). */
export function requireAuthenticated(ctx: RbacContext): RequestHandler {
  return authenticator(ctx);
}

export interface OrgPrincipal extends Principal {
  orgId: string;
  role: Role;
}

/** The principal of an org route, with its org and role guaranteed. */
export function orgPrincipalOf(req: Request): OrgPrincipal {
  const p = principalOf(req);
  if (!p.orgId || !p.role) throw rbacErrors.noOrg();
  return p as OrgPrincipal;
}

/**
 * Org routes: the credential must be bound to an org. The caller's address was checked
 * against the org's admin allowlist by authenticate() (common/access/admin-addresses.ts).
 */
export function requireOrgAccess(_ctx: RbacContext): RequestHandler {
  return (req, _res, next) => {
    try {
      orgPrincipalOf(req);
      next();
    } catch (e) {
      next(e);
    }
  };
}

/** The ability of the request's principal, given its org's model allowlist is irrelevant here. */
export function abilityOf(req: Request): AppAbility {
  return defineAbilityFor(principalOf(req));
}

/** The audit fields every event of this request shares. */
export function auditBase(req: Request, orgId: string | null) {
  return { orgId, actor: auditActorOf(principalOf(req)), ...requestMeta(req) };
}
