import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipNotAllowedError, type AdminAddressCheck } from '../access/admin-addresses.js';
import { readCookie } from '../http/cookies.js';
import { AirlockError } from '../errors.js';
import type { Principal } from './principal.js';
import type { PrincipalResolver } from './resolver.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by authenticate(); routes read the org from here, never from the request. */
    principal?: Principal;
  }
}

/** The session cookie. With HTTPS the __Host- prefix pins it to this host and path /. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-airlock_session' : 'airlock_session';
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * True when a browser says the request came from another origin: Fetch Metadata when the
 * browser sends it, else the Origin header against our own host. Non-browser clients send
 * neither and cannot be forged into sending a victim's cookie.
 */
export function isCrossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = req.get('origin');
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.get('host');
  } catch {
    return true; // "null" or garbage: not us
  }
}

export interface AuthenticateOptions {
  resolver: PrincipalResolver;
  /** Which credentials this route accepts. */
  accept: readonly ('api_token' | 'session')[];
  secureCookies: boolean;
  /**
   * 'authorize' (every route but the platform door): the org's admin IP allowlist is left
   * to the route's authorize() (access/authorize.ts), which applies it on every management
   * route and skips it on the data plane. A check function applies it here, for every
   * org-bound principal, before anything else (access.platformAdmin, so an org member
   * outside its allowlist hears that before "platform admin required").
   */
  adminAddresses: AdminAddressCheck | 'authorize';
}

/** Tags the middleware authenticate() returns, so a test can walk every router for it. */
export const AUTH_SCOPE = Symbol.for('airlock.auth.scope');
export type AuthScope = 'admin' | 'authorize';

/**
 * Requires a valid credential: `Authorization: Bearer <token>` (api_token) or the session
 * cookie (session). Anything else is 401 unauthenticated, with the same message whether the
 * credential is unknown, revoked or expired, so a caller learns nothing from the difference.
 */
export function authenticate({
  resolver,
  accept,
  secureCookies,
  adminAddresses,
}: AuthenticateOptions): RequestHandler {
  const cookieName = sessionCookieName(secureCookies);
  const handler = async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    let principal: Principal | null = null;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/.exec(header);
      if (match && accept.includes('api_token')) principal = await resolver.fromBearer(match[1]!);
    } else if (accept.includes('session')) {
      const value = readCookie(req, cookieName);
      if (value && value.length <= 512) {
        // The browser attaches the cookie to requests other sites start too (same-site
        // siblings pass SameSite=Lax): refuse them before the cookie counts for anything.
        if (!UNSAFE_METHODS.has(req.method) || !isCrossSite(req))
          principal = await resolver.fromSession(value);
        else return next(new AirlockError('cross_site_refused', 'cross-site request refused'));
      }
    }
    if (!principal) {
      return next(new AirlockError('unauthenticated', 'missing, invalid, expired or revoked credentials'));
    }
    // req.ip: X-Forwarded-For is believed only from AIRLOCK_TRUSTED_PROXIES.
    if (principal.orgId && typeof adminAddresses === 'function') {
      try {
        if (!(await adminAddresses(principal.orgId, req.ip))) return next(ipNotAllowedError());
      } catch (e) {
        return next(e);
      }
    }
    req.principal = principal;
    next();
  };
  const scope: AuthScope = typeof adminAddresses === 'function' ? 'admin' : adminAddresses;
  return Object.assign(handler, { [AUTH_SCOPE]: scope });
}

/** The scope of an authenticate() middleware (or a wrapper of one), else undefined. */
export function authScopeOf(handler: unknown): AuthScope | undefined {
  return (handler as { [AUTH_SCOPE]?: AuthScope } | null)?.[AUTH_SCOPE];
}

/** A middleware that wraps authenticate() carries its scope, so route walks still see it. */
export function withAuthScopeOf<T extends RequestHandler>(wrapper: T, inner: RequestHandler): T {
  const scope = authScopeOf(inner);
  if (!scope) throw new Error('withAuthScopeOf: the inner middleware is not authenticate()');
  return Object.assign(wrapper, { [AUTH_SCOPE]: scope });
}

/** The authenticated principal; throws if a route forgot authenticate(). */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new AirlockError('unauthenticated', 'authentication required');
  return req.principal;
}
