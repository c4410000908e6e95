// Small helpers for the raw SQL the audit store runs. Raw SQL because ingest needs a
// multi-row insert from one JSON parameter (no parameter-count limit, one round trip) and
// advisory locks, which Prisma's query builder does not express.

/** `org_id = $n` for an org, `org_id IS NULL` for the platform chain (NULL never equals NULL). */
export function orgMatch(orgId: string | null, params: unknown[], column = 'org_id'): string {
  if (orgId === null) return `${column} IS NULL`;
  params.push(orgId);
  return `${column} = $${params.length}::uuid`;
}

/**
 * The columns every read returns (table alias `e`), already in the shape the hash covers.
 * Careful: an output alias shadows the column in ORDER BY, so always order by `e.seq`, never
 * `seq` (which would sort the text form: "10" before "9").
 */
export const ROW_COLUMNS = `e.id::text AS id, e.org_id::text AS org_id, e.seq::text AS seq,
  to_char(e.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time,
  e.actor_type, e.actor_id, e.actor_email, e.action, e.target_type, e.target_id, e.outcome,
  e.client_ip, e.user_agent, e.request_id, e.details::text AS details, e.prev_hash, e.hash`;

export interface RowData {
  id: string;
  org_id: string | null;
  seq: string;
  time: string;
  actor_type: string;
  actor_id: string | null;
  actor_email: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  client_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}
