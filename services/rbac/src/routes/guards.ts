// Who gets past the door of each route group. Platform routes: the platform admin (a
// platform admin session, or the install's bootstrap token). Org routes: a session or API
// token bound to an org, from an address the org's admin IP allowlist admits.
import {
  authenticate,
  defineAbilityFor,
  isCidr,
  principalOf,
  safeEqual,
  sha256Hex,
  type AppAbility,
  type AuditEventInput,
  type Principal,
  type Role,
} from '@airlock/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipAllowed } from '../domain/ip-allowlist.js';
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
  });
}

/** Platform admin routes: a platform admin principal, or the bootstrap token. */
export function requirePlatformAdmin(ctx: RbacContext): RequestHandler {
  const auth = authenticator(ctx);
  // Compared as hashes so the comparison takes the same time whatever the length.
  const bootstrapHash = ctx.config.AIRLOCK_BOOTSTRAP_TOKEN
    ? sha256Hex(ctx.config.AIRLOCK_BOOTSTRAP_TOKEN)
    : undefined;
  return (req: Request, res: Response, next: NextFunction) => {
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
  };
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
 * Org routes: the credential must be bound to an org, and the caller's address (req.ip, so
 * X-Forwarded-For only from AIRLOCK_TRUSTED_PROXIES) must be in the org's admin allowlist.
 */
export function requireOrgAccess(ctx: RbacContext): RequestHandler {
  return async (req, _res, next) => {
    try {
      const p = orgPrincipalOf(req);
      const allowlist = await allowlistOf(ctx, p.orgId);
      if (allowlist === 'nobody' || !ipAllowed(req.ip, allowlist)) throw rbacErrors.ipNotAllowed();
      next();
    } catch (e) {
      next(e);
    }
  };
}

/**
 * The org's admin allowlist. When the stored policy no longer parses (a schema tightened
 * after it was saved), the gateway refuses that org, but its admins must still be able to
 * reach this API to fix it: the raw allowlist's valid entries then apply, and a list with
 * entries but none valid admits nobody.
 */
async function allowlistOf(ctx: RbacContext, orgId: string): Promise<string[] | 'nobody'> {
  try {
    return (await ctx.policyReader.get(orgId)).policy.admin.ipAllowlist;
  } catch (e) {
    const row = await ctx.policies.current(orgId);
    const raw = (row?.document as { admin?: { ipAllowlist?: unknown } } | undefined)?.admin?.ipAllowlist;
    ctx.logger.error(
      { err: (e as Error).message, orgId },
      'stored org policy does not parse; using its raw allowlist',
    );
    if (raw === undefined) return [];
    const entries = Array.isArray(raw)
      ? raw.filter((x): x is string => typeof x === 'string' && isCidr(x))
      : [];
    return entries.length > 0 ? entries : 'nobody';
  }
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
