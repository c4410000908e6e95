// Who may add, re-role and remove whom, asked of the request's CASL ability (common/access:
// which roles a principal manages, and that nobody re-roles or removes themselves). What this
// adds is how the rules combine for one change: a change needs rights over both the old and
// the new role, and the last owner stays (an invariant of the org, counted under lock).
import {
  refusalReason,
  SELF_CHANGE,
  subject,
  type Action,
  type AppAbility,
  type Role,
} from '@airlock/common';
import { rbacErrors } from '../errors.js';

export interface Actor {
  orgId: string;
  userId: string | null;
  /** The request's ability (common's abilityOf(req)). */
  ability: AppAbility;
}

/**
 * Refuses unless the actor may `action` this member: self_change when abilities.ts's self
 * rule is what refuses, else forbidden naming `what`. `userId` undefined: someone who is no
 * member yet (an invitation), whom no member's rule can name.
 */
function assertMay(
  actor: Actor,
  action: Action,
  target: { userId?: string; role: Role },
  what: string,
): void {
  const fields = {
    orgId: actor.orgId,
    ...(target.userId === undefined ? {} : { userId: target.userId }),
    role: target.role,
  };
  if (refusalReason(actor.ability, action, 'Member', fields) === SELF_CHANGE) throw rbacErrors.selfChange();
  if (!actor.ability.can(action, subject('Member', fields))) {
    throw rbacErrors.forbidden(what);
  }
}

/** `userId` undefined: an invitation of someone who is not a member yet. */
export function assertMayAdd(actor: Actor, userId: string | undefined, role: Role): void {
  assertMay(actor, 'create', { userId, role }, `add members with role ${role}`);
}

/** `owners` is the number of owners, counted under lock in the same transaction. */
export function assertMayChangeRole(
  actor: Actor,
  target: { userId: string; role: Role },
  newRole: Role,
  owners: number,
): void {
  assertMay(actor, 'update', target, `change the role of members with role ${target.role}`);
  assertMay(actor, 'update', { userId: target.userId, role: newRole }, `grant role ${newRole}`);
  if (target.role === 'owner' && newRole !== 'owner' && owners <= 1) throw rbacErrors.lastOwner();
}

export function assertMayRemove(actor: Actor, target: { userId: string; role: Role }, owners: number): void {
  assertMay(actor, 'delete', target, `remove members with role ${target.role}`);
  if (target.role === 'owner' && owners <= 1) throw rbacErrors.lastOwner();
}

// The allowed-email-domain rule is common's, shared with identity's sign-in and SCIM.
export { emailDomainAllowed } from '@airlock/common';
