// Who may add, re-role and remove whom. The CASL abilities (common/access) say which roles
// a principal manages; this adds what they cannot express: nobody changes their own role,
// a change needs rights over both the old and the new role, and the last owner stays.
import { subject, type AppAbility, type Role } from '@airlock/common';
import { rbacErrors } from '../errors.js';

export interface Actor {
  orgId: string;
  userId: string | null;
  ability: AppAbility;
}

function memberSubject(orgId: string, userId: string, role: Role) {
  return subject('Member', { orgId, userId, role });
}

export function assertMayListMembers(actor: Actor): void {
  if (!actor.ability.can('read', subject('Member', { orgId: actor.orgId }))) {
    throw rbacErrors.forbidden('list the members of this organisation');
  }
}

export function assertMayAdd(actor: Actor, userId: string, role: Role): void {
  if (!actor.ability.can('create', memberSubject(actor.orgId, userId, role))) {
    throw rbacErrors.forbidden(`add members with role ${role}`);
  }
}

/** `owners` is the number of owners, counted under lock in the same transaction. */
export function assertMayChangeRole(
  actor: Actor,
  target: { userId: string; role: Role },
  newRole: Role,
  owners: number,
): void {
  if (actor.userId !== null && actor.userId === target.userId) throw rbacErrors.selfChange();
  const { orgId, ability } = actor;
  if (!ability.can('update', memberSubject(orgId, target.userId, target.role))) {
    throw rbacErrors.forbidden(`change the role of members with role ${target.role}`);
  }
  if (!ability.can('update', memberSubject(orgId, target.userId, newRole))) {
    throw rbacErrors.forbidden(`grant role ${newRole}`);
  }
  if (target.role === 'owner' && newRole !== 'owner' && owners <= 1) throw rbacErrors.lastOwner();
}

export function assertMayRemove(actor: Actor, target: { userId: string; role: Role }, owners: number): void {
  if (actor.userId !== null && actor.userId === target.userId) throw rbacErrors.selfChange();
  if (!actor.ability.can('delete', memberSubject(actor.orgId, target.userId, target.role))) {
    throw rbacErrors.forbidden(`remove members with role ${target.role}`);
  }
  if (target.role === 'owner' && owners <= 1) throw rbacErrors.lastOwner();
}

// The allowed-email-domain rule is common's, shared with identity's sign-in and SCIM.
export { emailDomainAllowed } from '@airlock/common';
