// Writing memberships (rbac's table) under the owner rule, shared because two services write
// them: rbac's member API, and identity's SSO and SCIM provisioning, which must set the
// membership in the same transaction as the user, IdP identity and invitation it provisions
// (docs/data-model.md). Role changes and removals lock the org's owner rows first, so two
// writers demoting owners at once cannot leave the org without an owner.
import { AirlockError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import type { Tx } from '../db/scope.js';

/** last_owner (409): the one refusal every membership writer shares. */
export const lastOwnerError = () =>
  new AirlockError(
    'last_owner',
    'the last owner cannot be demoted or removed; make someone else owner first',
  );

/** Locks the org's owner memberships (FOR UPDATE, in id order) and returns how many there are. */
export async function lockOwners(tx: Tx, orgId: string): Promise<number> {
  const owners = await tx.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM memberships WHERE org_id = ${orgId}::uuid AND role = 'owner' ORDER BY user_id FOR UPDATE`;
  return owners.length;
}

/** Owners of the org whose account is active (identity's "owner path" check reads this). */
export function countActiveOwners(tx: Tx, orgId: string): Promise<number> {
  return tx.membership.count({ where: { orgId, role: 'owner', user: { status: 'active' } } });
}

/**
 * Every membership removal goes through here: it revokes the member's API tokens and sessions
 * in that org in the same transaction, so adding them back later (however soon) starts with no
 * credential of the old membership. The resolver's issued-before-membership check is only the
 * second wall (it allows clock skew between app and database).
 */
export async function deleteMembership(tx: Tx, orgId: string, userId: string): Promise<void> {
  await tx.membership.delete({ where: { orgId_userId: { orgId, userId } } });
  const revokedAt = new Date();
  await tx.apiToken.updateMany({ where: { orgId, userId, revokedAt: null }, data: { revokedAt } });
  await tx.session.updateMany({ where: { orgId, userId, revokedAt: null }, data: { revokedAt } });
}

/**
 * For provisioning outside the member API (identity's SSO role mapping and SCIM): sets, or
 * with `role` null removes, a membership inside the caller's org-scoped transaction, under
 * the same owner lock as the API, and refuses (lastOwnerError, 409) to demote or remove the
 * org's last owner. Returns the role before (null: was not a member). The caller audits
 * member.* and calls resolver.invalidate({type: 'user', id}) after commit.
 */
export async function provisionMembership(
  tx: Tx,
  orgId: string,
  userId: string,
  role: Role | null,
): Promise<Role | null> {
  const owners = await lockOwners(tx, orgId);
  const rows = await tx.$queryRaw<{ role: Role }[]>`
    SELECT role FROM memberships WHERE org_id = ${orgId}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
  const before = rows[0]?.role ?? null;
  if (before === 'owner' && role !== 'owner' && owners <= 1) throw lastOwnerError();
  const key = { orgId_userId: { orgId, userId } };
  if (role === null) {
    if (before) await deleteMembership(tx, orgId, userId);
  } else if (before === null) {
    await tx.membership.create({ data: { orgId, userId, role } });
  } else if (before !== role) {
    await tx.membership.update({ where: key, data: { role } });
  }
  return before;
}
