// The install's bootstrap token (AIRLOCK_BOOTSTRAP_TOKEN): the platform admin's credential
// before anyone can sign in, accepted on the platform routes of rbac (/api/v1/orgs…) and
// identity (/api/v1/sso/orgs/:orgId/…). One door, so both services check it the same way:
// compared as SHA-256 hashes in constant time, never looked up or logged, and audited as the
// system actor `bootstrap-token`. Any other credential goes on to authenticate() and must
// belong to a platform admin.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { AuditEventInput } from '../audit/index.js';
import { safeEqual, sha256Hex } from '../crypto/tokens.js';
import { AirlockError } from '../errors.js';
import { principalOf, withAuthScopeOf } from './middleware.js';
import type { Principal } from './principal.js';

/** The setting, in the config slice of every module that serves platform routes. */
export const bootstrapTokenSetting = z
  .string()
  .min(32, 'must be at least 32 characters (openssl rand -base64 32)')
  .max(512)
  .optional()
  .describe(
    'install-time platform admin credential for the platform routes (/api/v1/orgs…, /api/v1/sso/orgs/:orgId/…; Authorization: Bearer <token>); unset: disabled',
  );

/** The principal a request carrying the bootstrap token acts as. Compared by identity. */
export const BOOTSTRAP_PRINCIPAL: Principal = Object.freeze({
  kind: 'api_token',
  userId: null,
  email: null,
  orgId: null,
  role: null,
  isPlatformAdmin: true,
  expiresAt: null,
}) as Principal;

/** How the bootstrap token appears in the audit chain. */
export const BOOTSTRAP_ACTOR: AuditEventInput['actor'] = Object.freeze({
  type: 'system',
  id: 'bootstrap-token',
  email: null,
}) as AuditEventInput['actor'];

/** True when this principal is the bootstrap token (not a person, not an API token). */
export function isBootstrapPrincipal(p: Principal): boolean {
  return p === BOOTSTRAP_PRINCIPAL;
}

export interface PlatformAdminOptions {
  /** AIRLOCK_BOOTSTRAP_TOKEN, or undefined when the install has none. */
  bootstrapToken: string | undefined;
  /** authenticate() for the other credentials this route group accepts. */
  authenticate: RequestHandler;
  /** The 403 for an authenticated caller who is not the platform admin. */
  forbidden?: () => AirlockError;
}

const notPlatform = () => new AirlockError('platform_admin_required', 'this route needs the platform admin');

/**
 * Platform routes: the bootstrap token, or a credential authenticate() accepts whose principal
 * is a platform admin. A wrong bootstrap token is just an unknown bearer token (401).
 */
export function platformAdminOrBootstrap(options: PlatformAdminOptions): RequestHandler {
  const { authenticate, forbidden = notPlatform } = options;
  // Compared as hashes so the comparison takes the same time whatever the length.
  const bootstrapHash = options.bootstrapToken ? sha256Hex(options.bootstrapToken) : undefined;
  return withAuthScopeOf((req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (bootstrapHash && header?.startsWith('Bearer ')) {
      if (safeEqual(sha256Hex(header.slice('Bearer '.length)), bootstrapHash)) {
        req.principal = BOOTSTRAP_PRINCIPAL;
        return next();
      }
    }
    void authenticate(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (!principalOf(req).isPlatformAdmin) return next(forbidden());
      next();
    });
  }, authenticate);
}
