// Memberships belong to rbac. Identity writes them only here, for SSO/SCIM provisioning and
// role mapping. TODO(rbac): replace with rbac's membership API once it exists, so role
// changes are recorded and invalidated in one place.
import type { Role, Tx } from '@airlock/common';

/**
 * Creates or updates the user's membership in the org, inside the caller's org-scoped
 * transaction (db.inOrg). Returns the role before, or null when the user was not a member.
 */
export async function upsertMembership(
  tx: Tx,
  orgId: string,
  userId: string,
  role: Role,
): Promise<Role | null> {
  const key = { orgId_userId: { orgId, userId } };
  const before = await tx.membership.findUnique({ where: key });
  if (!before) {
    await tx.membership.create({ data: { orgId, userId, role } });
    return null;
  }
  if (before.role !== role) await tx.membership.update({ where: key, data: { role } });
  return before.role;
}

/** Removes the user from the org (SSO "no mapped group", SCIM deactivation); returns the old role. */
export async function removeMembership(tx: Tx, orgId: string, userId: string): Promise<Role | null> {
  const key = { orgId_userId: { orgId, userId } };
  const before = await tx.membership.findUnique({ where: key });
  if (before) await tx.membership.delete({ where: key });
  return before?.role ?? null;
}
