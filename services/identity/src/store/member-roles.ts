// The role a user holds in an org, for rules that depend on whose credential is at stake.
import type { Db, Role } from '@airlock/common';

/** The user's role in the org, or null when they are not a member. */
export async function roleInOrg(db: Db, orgId: string, userId: string): Promise<Role | null> {
  const row = await db.forOrg(orgId).membership.findUnique({ where: { orgId_userId: { orgId, userId } } });
  return row?.role ?? null;
}
