// The one route-level authorization step of every service. A route declares what it does
// (`authorize('read', 'Member')`); the middleware then requires a principal, raises the
// standard no-org error for an org route reached with an org-less credential, applies the
// org's admin IP allowlist (management routes; the data plane opts out) and asks the shared
// CASL ability (abilities.ts) whether the principal may do that to some subject of that type
// in their org. Handlers ask the finer question about one subject with `assertCan()` on the
// same ability, which is built once per request.
//
// The declaration is tagged on the middleware, so a test can walk a service's router and fail
// for a route that declares no ability (testing/route-abilities.ts).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipNotAllowedError, type AdminAddressCheck } from './admin-addresses.js';
import {
  defineAbilityFor,
  subject as tag,
  type Action,
  type AppAbility,
  type SubjectName,
} from './abilities.js';
import { principalOf } from '../auth/middleware.js';
import type { Principal } from '../auth/principal.js';
import { AirlockError } from '../errors.js';

/**
 * Where a route's subjects live.
 * - org: the principal's own org; an org-less credential (a platform admin session) is 403 no_org.
 * - platform: the install itself (orgs, pending owners): only abilities.ts's unconditional
 *   platform-admin rules grant it, never an org role's rules for its own org.
 * - org-or-platform: either (audit events, sessions): the ability decides.
 */
export type AuthorizeScope = 'org' | 'platform' | 'org-or-platform';

/** Management routes pass the org's admin IP allowlist; the data plane (model calls) does not. */
export type Plane = 'admin' | 'data';

/** What a route declares: read by the route-enumeration tests. */
export interface RouteAbility {
  action: Action;
  subject: Exclude<SubjectName, 'all'>;
  scope: AuthorizeScope;
  plane: Plane;
}

export interface AuthorizeOptions {
  scope?: AuthorizeScope;
  plane?: Plane;
  /**
   * The ability to check, when it needs more than the principal (the gateway's: the role's
   * allowed models from the org policy). Default: defineAbilityFor(principal), once per request.
   */
  ability?: (req: Request, principal: Principal) => AppAbility | Promise<AppAbility>;
  /** The refusal; default 403 forbidden naming the action. */
  refuse?: (req: Request) => AirlockError;
}

export const ROUTE_ABILITY = Symbol.for('airlock.route.ability');
/** Marks a route that needs no principal (sign-in, public metadata), with the reason. */
export const PUBLIC_ROUTE = Symbol.for('airlock.route.public');

export function noOrgError(): AirlockError {
  return new AirlockError(
    'no_org',
    'this credential is not bound to an organisation (platform admin session)',
  );
}

function forbidden(action: Action, subject: SubjectName): AirlockError {
  return new AirlockError('forbidden', `you may not ${action} ${subject} here`);
}

const abilities = new WeakMap<Request, AppAbility>();

/** The request's ability: set by authorize(), else built from the principal once per request. */
export function abilityOf(req: Request): AppAbility {
  let ability = abilities.get(req);
  if (!ability) {
    ability = defineAbilityFor(principalOf(req));
    abilities.set(req, ability);
  }
  return ability;
}

/** May the request's principal do `action` to this one subject (fields of the object)? */
export function can(
  req: Request,
  action: Action,
  type: Exclude<SubjectName, 'all'>,
  fields: Record<string, unknown>,
): boolean {
  // common's subject() returns a type CASL's `can` signature does not take as-is.
  return abilityOf(req).can(action, tag(type, fields) as unknown as Record<string, unknown>);
}

/** Throws `refusal()` (default 403 forbidden) unless `can(req, action, type, fields)`. */
export function assertCan(
  req: Request,
  action: Action,
  type: Exclude<SubjectName, 'all'>,
  fields: Record<string, unknown>,
  refusal: () => AirlockError = () => forbidden(action, type),
): void {
  if (!can(req, action, type, fields)) throw refusal();
}

export type Authorize = (
  action: Action,
  subject: Exclude<SubjectName, 'all'>,
  options?: AuthorizeOptions,
) => RequestHandler;

/**
 * Builds the process's authorize() over its admin allowlist check. Runs after a credential
 * middleware (authenticate or platformAdminOrBootstrap); a route without one is 401.
 */
export function createAuthorize(adminAddresses: AdminAddressCheck): Authorize {
  return (action, subject, options = {}) => {
    const declared: RouteAbility = {
      action,
      subject,
      scope: options.scope ?? 'org',
      plane: options.plane ?? 'admin',
    };
    const handler = async (req: Request, _res: Response, next: NextFunction) => {
      try {
        const principal = principalOf(req);
        if (declared.scope === 'org' && !principal.orgId) throw noOrgError();
        // req.ip: X-Forwarded-For is believed only from AIRLOCK_TRUSTED_PROXIES.
        if (declared.plane === 'admin' && principal.orgId) {
          if (!(await adminAddresses(principal.orgId, req.ip))) throw ipNotAllowedError();
        }
        const ability = options.ability ? await options.ability(req, principal) : defineAbilityFor(principal);
        abilities.set(req, ability);
        // Org routes: "for some subject of this type" (every org rule carries orgId, so this is
        // "in their org"); handlers check the one subject with assertCan(). Platform routes: a
        // subject with no fields, which only the unconditional platform rules match.
        const allowed =
          declared.scope === 'platform'
            ? ability.can(action, tag(subject, {}) as unknown as Record<string, unknown>)
            : ability.can(action, subject);
        if (!allowed) {
          throw options.refuse ? options.refuse(req) : forbidden(action, subject);
        }
        next();
      } catch (e) {
        next(e);
      }
    };
    return Object.assign(handler, { [ROUTE_ABILITY]: declared });
  };
}

/** A route that needs no principal, and why (the enumeration tests list these). */
export function publicRoute(why: string): RequestHandler {
  const handler: RequestHandler = (_req, _res, next) => next();
  return Object.assign(handler, { [PUBLIC_ROUTE]: why });
}

/** The ability a middleware declares, if it is authorize()'s. */
export function routeAbilityOf(handler: unknown): RouteAbility | undefined {
  return (handler as { [ROUTE_ABILITY]?: RouteAbility } | null)?.[ROUTE_ABILITY];
}

/** The reason a middleware gives for a public route, if it is publicRoute()'s. */
export function publicReasonOf(handler: unknown): string | undefined {
  return (handler as { [PUBLIC_ROUTE]?: string } | null)?.[PUBLIC_ROUTE];
}
