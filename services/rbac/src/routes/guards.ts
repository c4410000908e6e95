// Who gets past the door of each route group. Platform routes: the platform admin (a
// platform admin session, or the install's bootstrap token). Org routes: a session or API
// token bound to an org, from an address the org's admin IP allowlist admits (checked by
// common's authenticate for every service).
import {
  authenticate,
  defineAbilityFor,
  principalOf,
  safeEqual,
  sha256Hex,
  type AppAbility,
  type AuditEventInput,
  type Principal,
  type Role,
  withAuthScopeOf,
} from '@airlock/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';

/** Marks a request authenticated by the bootstrap token (audited as the system). */
const BOOTSTRAP = Symbol('airlock.rbac.bootstrap');

type BootstrapRequest = Request & { [BOOTSTRAP]?: true };

const BOOTSTRAP_PRINCIPAL: Principal = Object.freeze({
  kind: 'api_token',
  userId: null,
  email: null,
  orgId: null,
  role: null,
  isPlatformAdmin: true,
  expiresAt: null,
}) as Principal;

function authenticator(ctx: RbacContext): RequestHandler {
  return authenticate({
    resolver: ctx.resolver,
    accept: ['session', 'api_token'],
    secureCookies: ctx.secureCookies,
    adminAddresses: ctx.adminAddresses,
  });
}

/** Platform admin routes: a platform admin principal, or the bootstrap token. */
export function requirePlatformAdmin(ctx: RbacContext): RequestHandler {
  const auth = authenticator(ctx);
  // Compared as hashes so the comparison takes the same time whatever the length.
  const bootstrapHash = ctx.config.AIRLOCK_BOOTSTRAP_TOKEN
    ? sha256Hex(ctx.config.AIRLOCK_BOOTSTRAP_TOKEN)
    : undefined;
  return withAuthScopeOf((req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (bootstrapHash && header?.startsWith('Bearer ')) {
      if (safeEqual(sha256Hex(header.slice('Bearer '.length)), bootstrapHash)) {
        req.principal = BOOTSTRAP_PRINCIPAL;
        (req as BootstrapRequest)[BOOTSTRAP] = true;
        return next();
      }
    }
    void auth(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (!principalOf(req).isPlatformAdmin) return next(rbacErrors.platformOnly());
      next();
    });
  }, auth);
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
  const p = principalOf(req);
  const actor: AuditEventInput['actor'] = (req as BootstrapRequest)[BOOTSTRAP]
    ? { type: 'system', id: 'bootstrap-token', email: null }
    : { type: p.kind === 'api_token' ? 'token' : 'user', id: p.userId, email: p.email };
  return {
    orgId,
    actor,
    clientIp: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
    requestId: req.id ?? null,
  };
}
