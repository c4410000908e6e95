// Pending grants (invitations): a role promised to an email that is not a member of the org
// yet — the platform naming an org's first owner, or an org's owner or admin inviting someone
// with POST /api/v1/members. Turned into a membership only by acceptPendingGrant (common's
// membership/pending-grants.ts, with hasOpenGrant), which identity calls after a verified sign-in through the org's own IdP (in the same transaction
// as the sign-in's membership) or from SCIM POST /Users for an email in the org's claimed
// domains. Nobody is ever attached to an org by someone else's word alone.
import type { Db, Role } from '@airlock/common';
import { rbacErrors } from '../errors.js';
import { isUniqueViolation } from './prisma-errors.js';

export interface PendingGrantRecord {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  expiresAt: Date;
  revokedAt: Date | null;
  acceptedAt: Date | null;
  acceptedBy: string | null;
  createdAt: Date;
}

export function pendingGrantStore(db: Db) {
  return {
    async create(orgId: string, email: string, role: Role, expiresAt: Date): Promise<PendingGrantRecord> {
      const address = email.toLowerCase();
      try {
        return await db.asSystem(async (tx) => {
          // A lapsed grant no longer holds the (org, email) slot: closing it lets the email be
          // invited again, while an open one still conflicts.
          const now = new Date();
          await tx.pendingGrant.updateMany({
            where: { orgId, email: address, revokedAt: null, acceptedAt: null, expiresAt: { lte: now } },
            data: { revokedAt: now },
          });
          return tx.pendingGrant.create({ data: { orgId, email: address, role, expiresAt } });
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw rbacErrors.grantExists();
        throw e;
      }
    },
    get(orgId: string, id: string): Promise<PendingGrantRecord | null> {
      return db.asSystem((tx) => tx.pendingGrant.findFirst({ where: { id, orgId } }));
    },
    list(orgId: string): Promise<PendingGrantRecord[]> {
      return db.asSystem((tx) =>
        tx.pendingGrant.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' } }),
      );
    },
    /** Revokes an open grant; null when there is no open grant with this id in this org. */
    async revoke(orgId: string, id: string, now: Date): Promise<PendingGrantRecord | null> {
      return db.asSystem(async (tx) => {
        const done = await tx.pendingGrant.updateMany({
          where: { id, orgId, revokedAt: null, acceptedAt: null },
          data: { revokedAt: now },
        });
        return done.count === 1 ? tx.pendingGrant.findUnique({ where: { id } }) : null;
      });
    },
  };
}

export type PendingGrantStore = ReturnType<typeof pendingGrantStore>;

export type GrantState = 'open' | 'accepted' | 'revoked' | 'expired';

/** Where a grant stands at `now` (expiry is not stored as a state: it is read from the clock). */
export function grantState(grant: PendingGrantRecord, now: Date): GrantState {
  if (grant.acceptedAt) return 'accepted';
  if (grant.revokedAt) return 'revoked';
  return grant.expiresAt.getTime() <= now.getTime() ? 'expired' : 'open';
}
