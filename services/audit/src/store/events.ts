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
 * The two statements the ingest transaction needs, whichever driver runs them: Prisma's
 * interactive transaction (PGlite, tests) or a plain `pg` client (the fast path on Postgres).
 */
export interface SqlRunner {
  /** True when the driver sends a JS array as a Postgres array (`pg` does). */
  readonly arrays: boolean;
  rows<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** Rows affected by an INSERT/UPDATE/DELETE. */
  count(sql: string, params: unknown[]): Promise<number>;
}

export function prismaRunner(tx: Tx): SqlRunner {
  return {
    arrays: false,
    rows: <T>(sql: string, params: unknown[]) => tx.$queryRawUnsafe<T[]>(sql, ...params),
    count: (sql, params) => tx.$executeRawUnsafe(sql, ...params),
  };
}

/**
 * Serializes every writer of the given chains until the transaction ends. Keys are locked in
 * sorted order, so two writers holding overlapping sets can never deadlock.
 */
export function lockChains(tx: Tx, keys: readonly string[]): Promise<void> {
  return lockChainKeys(prismaRunner(tx), keys);
}

async function lockChainKeys(sql: SqlRunner, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await sql.rows(
    `SELECT count(pg_advisory_xact_lock(hashtextextended('airlock.audit:' || k, 0)))::text AS locked
       FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS t(k, n)`,
    [JSON.stringify([...keys].sort())],
  );
}

/** The current end of each chain: its last row, else its latest checkpoint, else empty. */
async function chainHeads(
  sql: SqlRunner,
  orgIds: readonly (string | null)[],
): Promise<Map<string, ChainHead>> {
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
      ...(await sql.rows<HeadRow>(
        `SELECT o.k::text AS org_id, h.seq, h.hash, c.cp_seq, c.cp_hash
           FROM (SELECT value::uuid AS k FROM jsonb_array_elements_text($1::jsonb)) o
           LEFT JOIN LATERAL (SELECT e.seq::text AS seq, e.hash FROM audit_events e
                               WHERE e.org_id = o.k ORDER BY e.seq DESC LIMIT 1) h ON true
           LEFT JOIN LATERAL (SELECT c.upto_seq::text AS cp_seq, c.hash AS cp_hash FROM audit_checkpoints c
                               WHERE c.org_id = o.k ORDER BY c.upto_seq DESC LIMIT 1) c ON true`,
        [JSON.stringify(orgs)],
      )),
    );
  }
  if (orgIds.includes(null)) {
    rows.push(
      ...(await sql.rows<HeadRow>(
        `SELECT NULL AS org_id, h.seq, h.hash, c.cp_seq, c.cp_hash
           FROM (SELECT 1) o
           LEFT JOIN LATERAL (SELECT e.seq::text AS seq, e.hash FROM audit_events e
                               WHERE e.org_id IS NULL ORDER BY e.seq DESC LIMIT 1) h ON true
           LEFT JOIN LATERAL (SELECT c.upto_seq::text AS cp_seq, c.hash AS cp_hash FROM audit_checkpoints c
                               WHERE c.org_id IS NULL ORDER BY c.upto_seq DESC LIMIT 1) c ON true`,
        [],
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

/** Distinct events by (lower-case) id, first occurrence wins, in the order given. */
export function distinctById(events: readonly AuditEvent[]): Map<string, AuditEvent> {
  const byId = new Map<string, AuditEvent>();
  for (const event of events) {
    const id = event.id.toLowerCase();
    if (!byId.has(id)) byId.set(id, event);
  }
  return byId;
}

/**
 * Stores validated events in one transaction, appending each to its org's chain in the order
 * given. Idempotent on event id: an event stored before is skipped before it gets a chain
 * position, so a redelivered event never leaves a gap or a second copy. This is the Prisma
 * path (PGlite, tests); on Postgres the consumer writes through store/pg-writer.ts.
 */
export async function appendEvents(db: Db, events: readonly AuditEvent[]): Promise<AppendResult> {
  const byId = distinctById(events);
  if (byId.size === 0) return { inserted: 0, duplicates: events.length };
  return db.asSystem((tx) => appendInTransaction(prismaRunner(tx), byId, events.length));
}

/**
 * The body of the ingest transaction. The caller has opened a transaction in system scope
 * (airlock.system = on); this locks the chains, skips stored ids, hashes and inserts.
 */
export async function appendInTransaction(
  sql: SqlRunner,
  byId: Map<string, AuditEvent>,
  total: number,
): Promise<AppendResult> {
  const orgIds = [...new Set([...byId.values()].map((e) => e.orgId?.toLowerCase() ?? null))];
  // Every lookup below is an index probe. On a young table (no statistics yet: a new
  // deployment, the first minute after a big backlog arrives) the planner answered the chain
  // head lookup with a (bitmap) scan and sort of all the org's rows, once per batch: ingest
  // slowed as the table grew. For this transaction only, those plans are the last resort.
  await sql.rows(
    `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`,
    [],
  );
  await lockChainKeys(sql, orgIds.map(chainKey));
  // `= ANY(array)` probes the primary key once per id. (`IN (SELECT … jsonb_array_elements…)`
  // was planned as a hash join over a sequential scan of the whole table: cost growing with
  // every row ever stored.) Ids are validated UUIDs, so a comma never occurs inside one.
  const stored = await sql.rows<{ id: string }>(
    `SELECT id::text AS id FROM audit_events WHERE id = ANY(string_to_array($1, ',')::uuid[])`,
    [[...byId.keys()].join(',')],
  );
  for (const { id } of stored) byId.delete(id);
  if (byId.size === 0) return { inserted: 0, duplicates: total };
  const records = appendToChains([...byId.values()], await chainHeads(sql, orgIds));
  const inserted = await insertRecords(sql, records);
  // Under the chain lock nobody else can store these ids; a shortfall means the chain
  // positions computed above are wrong, so nothing may commit.
  if (inserted !== records.length) throw new Error(`audit insert stored ${inserted} of ${records.length}`);
  return { inserted, duplicates: total - inserted };
}

const INSERT_COLUMNS = `id, org_id, seq, time, actor_type, actor_id, actor_email, action,
  target_type, target_id, outcome, client_ip, user_agent, request_id, details, prev_hash, hash`;

/**
 * One multi-row INSERT for the whole batch, from a fixed number of parameters (no limit on
 * rows). With `pg`: one array per column, unnested; Postgres parses a text array about twice
 * as fast as the same rows as one jsonb document. Otherwise one JSON document.
 * ON CONFLICT (id) DO NOTHING: the caller compares the count with what it meant to store.
 */
async function insertRecords(sql: SqlRunner, records: readonly ChainedRecord[]): Promise<number> {
  if (sql.arrays) {
    const n = records.length;
    const cols = Array.from({ length: 17 }, () => new Array<string | null>(n));
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const row = [
        r.id,
        r.orgId,
        r.seq,
        r.time,
        r.actor.type,
        r.actor.id,
        r.actor.email,
        r.action,
        r.target?.type ?? null,
        r.target?.id ?? null,
        r.outcome,
        r.clientIp,
        r.userAgent,
        r.requestId,
        JSON.stringify(r.details),
        r.prevHash,
        r.hash,
      ];
      for (let c = 0; c < 17; c++) cols[c]![i] = row[c]!;
    }
    return sql.count(
      `INSERT INTO audit_events (${INSERT_COLUMNS})
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::text[],
         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
         $13::text[], $14::text[], $15::jsonb[], $16::text[], $17::text[])
       ON CONFLICT (id) DO NOTHING`,
      cols,
    );
  }
  return sql.count(
    `INSERT INTO audit_events (${INSERT_COLUMNS})
     SELECT ${INSERT_COLUMNS}
       FROM jsonb_to_recordset(convert_from($1::bytea, 'UTF8')::jsonb) AS r(id uuid, org_id uuid, seq bigint, time timestamptz,
         actor_type text, actor_id text, actor_email text, action text, target_type text,
         target_id text, outcome text, client_ip text, user_agent text, request_id text,
         details jsonb, prev_hash text, hash text)
     ON CONFLICT (id) DO NOTHING`,
    // As bytes: the driver passes a Buffer through untouched, a long string it copies and escapes.
    [Buffer.from(JSON.stringify(records.map(toRow)))],
  );
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
