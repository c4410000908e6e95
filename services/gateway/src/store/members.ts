// The one member read the gateway makes: who the access explainer explains (not a hot path).
import type { Db } from '@airlock/common';

export interface ExplainedMember {
  role: 'owner' | 'admin' | 'member' | 'viewer';
  email: string | null;
  active: boolean;
}

/** The member's role, email and account status in this org, or null when not a member. */
export async function findMember(db: Db, orgId: string, userId: string): Promise<ExplainedMember | null> {
  const membership = await db.inOrg(orgId, (tx) =>
    tx.membership.findUnique({
      where: { orgId_userId: { orgId, userId } },
      select: { role: true, user: { select: { email: true, status: true } } },
    }),
  );
  if (!membership) return null;
  return { role: membership.role, email: membership.user.email, active: membership.user.status === 'active' };
}
