// audit_events and audit_checkpoints. Rows are only ever inserted (ingest) or deleted as a
// whole prefix of a chain (retention); never updated.
import type { AuditEvent, Db, Tx } from '@airlock/common';
import {
  appendToChains,
  chainKey,
  EMPTY_HEAD,
  type ChainHead,
  type ChainedRecord,
} from '../domain/hash-chain.js';
import { orgMatch, ROW_COLUMNS, type RowData } from './sql.js';

export function recordFromRow(row: RowData): ChainedRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    seq: row.seq,
    time: row.time,
    actor: { type: row.actor_type, id: row.actor_id, email: row.actor_email },
    action: row.action,
    target: row.target_type === null ? null : { type: row.target_type, id: row.target_id ?? '' },
    outcome: row.outcome,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Serializes every writer of the given chains until the transaction ends. Keys are locked in
 * sorted order, so two writers holding overlapping sets can never deadlock.
 */
export async function lockChains(tx: Tx, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await tx.$queryRawUnsafe(
    `SELECT count(pg_advisory_xact_lock(hashtextextended('airlock.audit:' || k, 0)))::text AS locked
       FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS t(k, n)`,
    JSON.stringify([...keys].sort()),
  );
}

/** The current end of each chain: its last row, else its latest checkpoint, else empty. */
async function chainHeads(tx: Tx, orgIds: readonly (string | null)[]): Promise<Map<string, ChainHead>> {
  const heads = new Map<string, ChainHead>();
  type HeadRow = {
    org_id: string | null;
    seq: string | null;
    hash: string | null;
    cp_seq: string | null;
    cp_hash: string | null;
  };
  const orgs = orgIds.filter((o): o is string => o !== null);
  const rows: HeadRow[] = [];
  if (orgs.length > 0) {
    // One statement for every org in the batch; each lateral probe is one index lookup.
    rows.push(
      ...(await tx.$queryRawUnsafe<HeadRow[]>(
        `SELECT o.k::text AS org_id, h.seq, h.hash, c.cp_seq, c.cp_hash
           FROM (SELECT value::uuid AS k FROM jsonb_array_elements_text($1::jsonb)) o
           LEFT JOIN LATERAL (SELECT e.seq::text AS seq, e.hash FROM audit_events e
                               WHERE e.org_id = o.k ORDER BY e.seq DESC LIMIT 1) h ON true
           LEFT JOIN LATERAL (SELECT c.upto_seq::text AS cp_seq, c.hash AS cp_hash FROM audit_checkpoints c
                               WHERE c.org_id = o.k ORDER BY c.upto_seq DESC LIMIT 1) c ON true`,
        JSON.stringify(orgs),
      )),
    );
  }
  if (orgIds.includes(null)) {
    rows.push(
      ...(await tx.$queryRawUnsafe<HeadRow[]>(
        `SELECT NULL AS org_id, h.seq, h.hash, c.cp_seq, c.cp_hash
           FROM (SELECT 1) o
           LEFT JOIN LATERAL (SELECT e.seq::text AS seq, e.hash FROM audit_events e
                               WHERE e.org_id IS NULL ORDER BY e.seq DESC LIMIT 1) h ON true
           LEFT JOIN LATERAL (SELECT c.upto_seq::text AS cp_seq, c.hash AS cp_hash FROM audit_checkpoints c
                               WHERE c.org_id IS NULL ORDER BY c.upto_seq DESC LIMIT 1) c ON true`,
      )),
    );
  }
  for (const row of rows) {
    // Rows always sit after the newest checkpoint; with no rows left, the checkpoint is the end.
    const head =
      row.seq !== null && row.hash !== null
        ? { seq: BigInt(row.seq), hash: row.hash }
        : row.cp_seq !== null && row.cp_hash !== null
          ? { seq: BigInt(row.cp_seq), hash: row.cp_hash }
          : EMPTY_HEAD;
    heads.set(chainKey(row.org_id), head);
  }
  return heads;
}

export interface AppendResult {
  inserted: number;
  /** Events already stored (a redelivery after a crash between commit and ack). */
  duplicates: number;
}

/**
 * Stores validated events in one transaction, appending each to its org's chain in the order
 * given. Idempotent on event id: an event stored before is skipped before it gets a chain
 * position, so a redelivered event never leaves a gap or a second copy.
 */
export async function appendEvents(db: Db, events: readonly AuditEvent[]): Promise<AppendResult> {
  const byId = new Map<string, AuditEvent>();
  for (const event of events) {
    const id = event.id.toLowerCase();
    if (!byId.has(id)) byId.set(id, event);
  }
  if (byId.size === 0) return { inserted: 0, duplicates: events.length };
  return db.asSystem(async (tx) => {
    const orgIds = [...new Set([...byId.values()].map((e) => e.orgId?.toLowerCase() ?? null))];
    await lockChains(tx, orgIds.map(chainKey));
    const stored = await tx.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM audit_events
        WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))`,
      JSON.stringify([...byId.keys()]),
    );
    for (const { id } of stored) byId.delete(id);
    if (byId.size === 0) return { inserted: 0, duplicates: events.length };
    const records = appendToChains([...byId.values()], await chainHeads(tx, orgIds));
    const inserted = await tx.$executeRawUnsafe(
      `INSERT INTO audit_events (id, org_id, seq, time, actor_type, actor_id, actor_email, action,
         target_type, target_id, outcome, client_ip, user_agent, request_id, details, prev_hash, hash)
       SELECT id, org_id, seq, time, actor_type, actor_id, actor_email, action,
         target_type, target_id, outcome, client_ip, user_agent, request_id, details, prev_hash, hash
         FROM jsonb_to_recordset(convert_from($1::bytea, 'UTF8')::jsonb) AS r(id uuid, org_id uuid, seq bigint, time timestamptz,
           actor_type text, actor_id text, actor_email text, action text, target_type text,
           target_id text, outcome text, client_ip text, user_agent text, request_id text,
           details jsonb, prev_hash text, hash text)
       ON CONFLICT (id) DO NOTHING`,
      // As bytes: the driver passes a Buffer through untouched, a long string it copies and escapes.
      Buffer.from(JSON.stringify(records.map(toRow))),
    );
    // Under the chain lock nobody else can store these ids; a shortfall means the chain
    // positions computed above are wrong, so nothing may commit.
    if (inserted !== records.length) throw new Error(`audit insert stored ${inserted} of ${records.length}`);
    return { inserted, duplicates: events.length - inserted };
  });
}

function toRow(r: ChainedRecord) {
  return {
    id: r.id,
    org_id: r.orgId,
    seq: r.seq,
    time: r.time,
    actor_type: r.actor.type,
    actor_id: r.actor.id,
    actor_email: r.actor.email,
    action: r.action,
    target_type: r.target?.type ?? null,
    target_id: r.target?.id ?? null,
    outcome: r.outcome,
    client_ip: r.clientIp,
    user_agent: r.userAgent,
    request_id: r.requestId,
    details: r.details,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** Works on an org's chain inside that org's RLS scope; the platform chain needs system scope. */
export function inChain<T>(db: Db, orgId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return orgId === null ? db.asSystem(fn) : db.inOrg(orgId, fn);
}

/** Where verification of a chain starts: null if its first row needs a missing checkpoint. */
export async function chainStart(db: Db, orgId: string | null): Promise<ChainHead | null> {
  return inChain(db, orgId, async (tx) => {
    const params: unknown[] = [];
    const first = await tx.$queryRawUnsafe<{ seq: string }[]>(
      `SELECT e.seq::text AS seq FROM audit_events e WHERE ${orgMatch(orgId, params, 'e.org_id')}
        ORDER BY e.seq LIMIT 1`,
      ...params,
    );
    if (!first[0] || first[0].seq === '1') return EMPTY_HEAD;
    const upto = BigInt(first[0].seq) - 1n;
    const cpParams: unknown[] = [];
    const where = orgMatch(orgId, cpParams);
    cpParams.push(upto.toString());
    const checkpoint = await tx.$queryRawUnsafe<{ hash: string }[]>(
      `SELECT hash FROM audit_checkpoints WHERE ${where} AND upto_seq = $${cpParams.length}::bigint
        ORDER BY created_at DESC LIMIT 1`,
      ...cpParams,
    );
    return checkpoint[0] ? { seq: upto, hash: checkpoint[0].hash } : null;
  });
}

/** Every row of a chain in order, read in pages (constant memory, short transactions). */
export async function* chainRows(
  db: Db,
  orgId: string | null,
  pageSize = 2_000,
): AsyncGenerator<ChainedRecord> {
  let after = -1n;
  for (;;) {
    const page = await inChain(db, orgId, async (tx) => {
      const params: unknown[] = [];
      const where = orgMatch(orgId, params, 'e.org_id');
      params.push(after.toString(), pageSize);
      return tx.$queryRawUnsafe<RowData[]>(
        `SELECT ${ROW_COLUMNS} FROM audit_events e
          WHERE ${where} AND e.seq > $${params.length - 1}::bigint ORDER BY e.seq LIMIT $${params.length}`,
        ...params,
      );
    });
    for (const row of page) yield recordFromRow(row);
    if (page.length < pageSize) return;
    after = BigInt(page[page.length - 1]!.seq);
  }
}
