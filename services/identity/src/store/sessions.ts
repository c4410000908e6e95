// Browser sessions. Only the SHA-256 of the cookie value is stored, so a database leak does
// not hand out live sessions. Lookups for authentication go through the principal resolver
// (common/auth), which also slides the idle expiry.
import { generateToken, sha256Hex, type Db } from '@airlock/common';

export interface NewSession {
  userId: string;
  /** Null only for the break-glass platform admin. */
  orgId: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  idleMs: number;
  absoluteMs: number;
  now: Date;
}

export interface CreatedSession {
  id: string;
  /** The cookie value; never stored. */
  token: string;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

export async function insertSession(db: Db, s: NewSession): Promise<CreatedSession> {
  const token = generateToken('als');
  const absoluteExpiresAt = new Date(s.now.getTime() + s.absoluteMs);
  const idleExpiresAt = new Date(Math.min(s.now.getTime() + s.idleMs, absoluteExpiresAt.getTime()));
  const client = s.orgId ? db.forOrg(s.orgId) : db.system;
  const row = await client.session.create({
    data: {
      tokenHash: sha256Hex(token),
      userId: s.userId,
      orgId: s.orgId,
      createdAt: s.now,
      lastSeenAt: s.now,
      idleExpiresAt,
      absoluteExpiresAt,
      clientIp: s.clientIp?.slice(0, 64) ?? null,
      userAgent: s.userAgent?.slice(0, 512) ?? null,
    },
  });
  return { id: row.id, token, idleExpiresAt, absoluteExpiresAt };
}

/** Revokes the session with this cookie value; returns its row, or null if none was live. */
export async function revokeSessionByToken(db: Db, token: string, now: Date) {
  const tokenHash = sha256Hex(token);
  const session = await db.system.session.findUnique({ where: { tokenHash } });
  if (!session || session.revokedAt) return null;
  await db.system.session.update({ where: { id: session.id }, data: { revokedAt: now } });
  return session;
}

/** Revokes every live session of a user in one org (or in every org when orgId is null). */
export async function revokeUserSessions(
  db: Db,
  userId: string,
  orgId: string | null,
  now: Date,
): Promise<number> {
  const client = orgId ? db.forOrg(orgId) : db.system;
  const { count } = await client.session.updateMany({
    where: { userId, revokedAt: null, ...(orgId ? { orgId } : {}) },
    data: { revokedAt: now },
  });
  return count;
}

export async function findSession(db: Db, id: string) {
  return db.system.session.findUnique({ where: { id } });
}
