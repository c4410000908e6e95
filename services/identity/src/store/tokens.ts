// API tokens. The secret is "al_<43 base64url chars>" (256 bits); only its SHA-256 is stored.
// The id is stable across rotations, so audit and listings follow one token through them.
import { generateToken, sha256Hex, type Db } from '@airlock/common';

export const TOKEN_PREFIX = 'al';
/** How much of the secret is kept to recognise a token in a list ("al_AbCd12"). */
const SHOWN_CHARS = 9;

export function newSecret(): { token: string; prefix: string; hash: string } {
  const token = generateToken(TOKEN_PREFIX);
  return { token, prefix: token.slice(0, SHOWN_CHARS), hash: sha256Hex(token) };
}

/** The public view of a token row: never the hash. */
export function tokenView(row: {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  previousValidUntil: Date | null;
}) {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    previousValidUntil: row.previousValidUntil?.toISOString() ?? null,
  };
}

export type TokenView = ReturnType<typeof tokenView>;

export async function insertToken(
  db: Db,
  t: { orgId: string; userId: string; name: string; expiresAt: Date | null; now: Date },
) {
  const secret = newSecret();
  const row = await db.forOrg(t.orgId).apiToken.create({
    data: {
      orgId: t.orgId,
      userId: t.userId,
      name: t.name,
      prefix: secret.prefix,
      tokenHash: secret.hash,
      createdAt: t.now,
      expiresAt: t.expiresAt,
    },
  });
  return { row, token: secret.token };
}

export function listTokens(db: Db, orgId: string, userId: string | null) {
  return db.forOrg(orgId).apiToken.findMany({
    where: { orgId, ...(userId ? { userId } : {}) },
    orderBy: { createdAt: 'desc' },
    take: 1000,
  });
}

export function findToken(db: Db, orgId: string, id: string) {
  return db.forOrg(orgId).apiToken.findFirst({ where: { id, orgId } });
}

export async function markRevoked(db: Db, orgId: string, id: string, now: Date) {
  return db.forOrg(orgId).apiToken.update({
    where: { id },
    data: { revokedAt: now, previousHash: null, previousValidUntil: null },
  });
}

/** Revokes every live token of a user (in one org, or everywhere when orgId is null). */
export async function revokeUserTokens(db: Db, userId: string, orgId: string | null, now: Date) {
  const client = orgId ? db.forOrg(orgId) : db.system;
  const { count } = await client.apiToken.updateMany({
    where: { userId, revokedAt: null, ...(orgId ? { orgId } : {}) },
    data: { revokedAt: now, previousHash: null, previousValidUntil: null },
  });
  return count;
}

/** Gives the token a new secret; the old one keeps working until `graceUntil` (or not at all). */
export async function rotateSecret(
  db: Db,
  orgId: string,
  id: string,
  currentHash: string,
  graceUntil: Date | null,
) {
  const secret = newSecret();
  const row = await db.forOrg(orgId).apiToken.update({
    where: { id },
    data: {
      tokenHash: secret.hash,
      prefix: secret.prefix,
      previousHash: graceUntil ? currentHash : null,
      previousValidUntil: graceUntil,
    },
  });
  return { row, token: secret.token };
}
