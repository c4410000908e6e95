// Retention: deletes the oldest events of a chain, a whole prefix at a time, and records the
// hash of the last deleted row as a checkpoint, so what remains still verifies from there.
import type { Db } from '@airlock/common';
import { chainKey } from '../domain/hash-chain.js';
import { inChain, lockChains } from './events.js';
import { orgMatch } from './sql.js';

/** Every chain with rows: the org ids (via the (org_id, seq) index, one probe per org) and null for platform events. */
export async function listChains(db: Db): Promise<(string | null)[]> {
  return db.asSystem(async (tx) => {
    const orgs = await tx.$queryRawUnsafe<{ org_id: string }[]>(
      `WITH RECURSIVE t(org_id) AS (
         (SELECT e.org_id FROM audit_events e WHERE e.org_id IS NOT NULL ORDER BY e.org_id LIMIT 1)
         UNION ALL
         SELECT (SELECT e.org_id FROM audit_events e WHERE e.org_id > t.org_id ORDER BY e.org_id LIMIT 1)
           FROM t WHERE t.org_id IS NOT NULL)
       SELECT org_id::text AS org_id FROM t WHERE org_id IS NOT NULL`,
    );
    const platform = await tx.$queryRawUnsafe<unknown[]>(
      'SELECT 1 AS one FROM audit_events e WHERE e.org_id IS NULL LIMIT 1',
    );
    return [...orgs.map((r) => r.org_id), ...(platform.length > 0 ? [null] : [])];
  });
}

/**
 * Deletes up to `batchSize` rows from the start of a chain, stopping at the first row at or
 * after `cutoff` (event time): only a prefix is ever removed, never a row from the middle.
 * Returns how many rows were deleted (0: nothing more to do).
 */
export async function pruneChainBatch(
  db: Db,
  orgId: string | null,
  cutoff: Date,
  batchSize: number,
): Promise<number> {
  return inChain(db, orgId, async (tx) => {
    // The same lock as ingest: the chain head must not move under an append.
    await lockChains(tx, [chainKey(orgId)]);
    const params: unknown[] = [];
    const where = orgMatch(orgId, params, 'e.org_id');
    params.push(batchSize);
    const rows = await tx.$queryRawUnsafe<{ seq: string; hash: string; old: boolean }[]>(
      `SELECT e.seq::text AS seq, e.hash, e.time < $${params.length + 1}::timestamptz AS old
         FROM audit_events e WHERE ${where} ORDER BY e.seq LIMIT $${params.length}`,
      ...params,
      cutoff.toISOString(),
    );
    const firstNew = rows.findIndex((r) => !r.old);
    const prefix = firstNew === -1 ? rows : rows.slice(0, firstNew);
    const last = prefix[prefix.length - 1];
    if (!last) return 0;
    const cp: unknown[] = [];
    const cpWhere = orgMatch(orgId, cp);
    cp.push(last.seq, last.hash);
    // The checkpoint first: if anything below fails, the transaction takes it back too.
    await tx.$executeRawUnsafe(
      `INSERT INTO audit_checkpoints (id, org_id, upto_seq, hash)
       VALUES (gen_random_uuid(), ${orgId === null ? 'NULL' : '$1::uuid'}, $${cp.length - 1}::bigint, $${cp.length})`,
      ...cp,
    );
    const deleted = await tx.$executeRawUnsafe(
      `DELETE FROM audit_events WHERE ${cpWhere} AND seq <= $${cp.length - 1}::bigint`,
      ...cp.slice(0, -1),
    );
    // Only the newest checkpoint can ever be needed again (it anchors the first kept row).
    await tx.$executeRawUnsafe(
      `DELETE FROM audit_checkpoints WHERE ${cpWhere} AND upto_seq < $${cp.length - 1}::bigint`,
      ...cp.slice(0, -1),
    );
    return deleted;
  });
}
