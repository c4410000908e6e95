// Memberships belong to rbac. Identity writes them only here, for SSO/SCIM provisioning and
// role mapping. TODO(rbac): replace with rbac's membership API once it exists, so role
// changes are audited (member.role_changed) and invalidated in one place.
import type { Db, Role } from '@airlock/common';

/** Creates or updates the user's membership in the org; returns the role before (or null). */
export async function upsertMembership(
  db: Db,
  orgId: string,
  userId: string,
  role: Role,
): Promise<Role | null> {
  return db.inOrg(orgId, async (tx) => {
    const before = await tx.membership.findUnique({ where: { orgId_userId: { orgId, userId } } });
    if (before) {
      if (before.role !== role) {
        await tx.membership.update({ where: { orgId_userId: { orgId, userId } }, data: { role } });
      }
      return before.role;
    }
    await tx.membership.create({ data: { orgId, userId, role } });
    return null;
  });
}

/** Removes the user from the org (SSO "no mapped group" or SCIM deactivation). */
export async function removeMembership(db: Db, orgId: string, userId: string): Promise<Role | null> {
  return db.inOrg(orgId, async (tx) => {
    const before = await tx.membership.findUnique({ where: { orgId_userId: { orgId, userId } } });
    if (before) await tx.membership.delete({ where: { orgId_userId: { orgId, userId } } });
    return before?.role ?? null;
  });
}
