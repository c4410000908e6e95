// Reading and taking pending grants (invitations, rbac's table) inside a provisioning
// transaction. rbac creates, lists and revokes them (its store/pending-grants.ts); a grant
// becomes a membership only through acceptPendingGrant, which identity calls after a verified
// sign-in through the org's own IdP (in the same transaction as the sign-in's membership) or
// from SCIM POST /Users for an email in the org's claimed domains. Nobody is ever attached to
// an org by someone else's word alone.
import type { Role } from '../generated/prisma/enums.js';
import type { Tx } from '../db/scope.js';

/** Whether the org has an open, unexpired grant of this role (the "owner path" check). */
export async function hasOpenGrant(tx: Tx, orgId: string, role: Role, now: Date): Promise<boolean> {
  const n = await tx.pendingGrant.count({
    where: { orgId, role, revokedAt: null, acceptedAt: null, expiresAt: { gt: now } },
  });
  return n > 0;
}

/**
 * Consumes the open, unexpired grant for this email in this org, if any, and returns its role.
 * The caller has already established that the email is verified and the sign-in came through
 * this org's own IdP; the update is conditional, so two parallel sign-ins take it once.
 */
export async function acceptPendingGrant(
  tx: Tx,
  orgId: string,
  email: string,
  userId: string,
  now: Date,
): Promise<Role | null> {
  const grant = await tx.pendingGrant.findFirst({
    where: { orgId, email: email.toLowerCase(), revokedAt: null, acceptedAt: null, expiresAt: { gt: now } },
  });
  if (!grant) return null;
  const done = await tx.pendingGrant.updateMany({
    where: { id: grant.id, acceptedAt: null, revokedAt: null },
    data: { acceptedAt: now, acceptedBy: userId },
  });
  return done.count === 1 ? grant.role : null;
}
