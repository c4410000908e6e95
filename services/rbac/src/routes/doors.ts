// The two doors of rbac's routes: a credential middleware, then the route's declared ability
// (common's authorize(), which also raises no_org and applies the org's admin IP allowlist).
import type { Action, AirlockError, SubjectName } from '@airlock/common';
import type { RequestHandler } from 'express';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';

type Subject = Exclude<SubjectName, 'all'>;
/** Spread into a route (`router.get(path, ...door, handler)`): the walk sees both. */
export type Door = [credential: RequestHandler, ability: RequestHandler];

/**
 * Org routes: a session or API token bound to an org, allowed `action` on some `subject` of
 * its org. `refuse` keeps the route's own wording of the refusal.
 */
export function orgDoor(
  ctx: RbacContext,
  action: Action,
  subject: Subject,
  refuse: () => AirlockError,
): Door {
  return [
    ctx.access.authenticate(['session', 'api_token']),
    ctx.access.authorize(action, subject, { refuse }),
  ];
}

/**
 * Platform routes: a platform admin principal, or the install's bootstrap token; only the
 * platform's own (unconditional) rules on organisations grant them.
 */
export function platformDoors(ctx: RbacContext): (action: Action) => Door {
  const credential = ctx.access.platformAdmin({
    bootstrapToken: ctx.config.AIRLOCK_BOOTSTRAP_TOKEN,
    forbidden: rbacErrors.platformOnly,
  });
  return (action) => [
    credential,
    ctx.access.authorize(action, 'Org', { scope: 'platform', refuse: rbacErrors.platformOnly }),
  ];
}
