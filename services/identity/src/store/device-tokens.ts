// API tokens issued by the CLI sign-in: ordinary api_tokens rows (listed, revoked and rotated
// like any other) that also name the approving session and the role approved with. The
// principal resolver (common/auth/resolver.ts) refuses them once either no longer holds.
import type { Db, Role } from '@airlock/common';
import { newSecret } from './tokens.js';

export const DEVICE_TOKEN_NAME = 'CLI sign-in (airlock login)';

export async function insertDeviceToken(
  db: Db,
  t: { orgId: string; userId: string; sessionId: string; role: Role; expiresAt: Date; now: Date },
) {
  const secret = newSecret();
  const row = await db.forOrg(t.orgId).apiToken.create({
    data: {
      orgId: t.orgId,
      userId: t.userId,
      name: DEVICE_TOKEN_NAME,
      prefix: secret.prefix,
      tokenHash: secret.hash,
      createdAt: t.now,
      expiresAt: t.expiresAt,
      sessionId: t.sessionId,
      boundRole: t.role,
    },
  });
  return { row, token: secret.token };
}

/** The approving session and the member's current standing, read when the CLI picks up. */
export async function approvalStanding(db: Db, sessionId: string, orgId: string, userId: string) {
  const [session, membership, org] = await Promise.all([
    db.system.session.findUnique({ where: { id: sessionId }, include: { user: true } }),
    db.system.membership.findUnique({ where: { orgId_userId: { orgId, userId } } }),
    db.system.org.findUnique({ where: { id: orgId } }),
  ]);
  return { session, membership, org };
}
