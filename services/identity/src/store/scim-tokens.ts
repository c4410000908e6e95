// Per-org SCIM bearer tokens ("alscim_…"); only the SHA-256 is stored.
import { generateToken, sha256Hex, type Db } from '@airlock/common';

export async function insertScimToken(db: Db, orgId: string) {
  const token = generateToken('alscim');
  const row = await db.forOrg(orgId).scimToken.create({
    data: { orgId, prefix: token.slice(0, 12), tokenHash: sha256Hex(token) },
  });
  return { row, token };
}

export function listScimTokens(db: Db, orgId: string) {
  return db.forOrg(orgId).scimToken.findMany({ where: { orgId }, orderBy: { createdAt: 'desc' } });
}

export async function revokeScimToken(db: Db, orgId: string, id: string, now: Date) {
  const { count } = await db.forOrg(orgId).scimToken.updateMany({
    where: { id, orgId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count;
}

/** The org a live SCIM token belongs to, or null. */
export async function orgOfScimToken(
  db: Db,
  token: string,
): Promise<{ orgId: string; tokenId: string } | null> {
  const row = await db.system.scimToken.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!row || row.revokedAt) return null;
  const org = await db.system.org.findUnique({ where: { id: row.orgId } });
  if (!org || org.status !== 'active') return null;
  return { orgId: row.orgId, tokenId: row.id };
}

export function scimTokenView(row: { id: string; prefix: string; createdAt: Date; revokedAt: Date | null }) {
  return {
    id: row.id,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
