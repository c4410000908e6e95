// Reads a chain's audit events for the query API and exports, in (time, id) order, one page
// at a time: an org's, inside the org's RLS scope and with an explicit org condition, or the
// platform chain (org-less events: break-glass sign-ins, sign-ins to unknown orgs) when the
// org is null, in system scope with `org_id IS NULL`.
import type { Db } from '@airlock/common';
import type { ChainedRecord } from '../domain/hash-chain.js';
import type { AuditFilter, Cursor } from '../domain/filters.js';
import { orgMatch, ROW_COLUMNS, type RowData } from './sql.js';
import { inChain, recordFromRow } from './events.js';

export type Order = 'newest' | 'oldest';

export async function findEvents(
  db: Db,
  orgId: string | null,
  filter: AuditFilter,
  options: { after?: Cursor; limit: number; order: Order },
): Promise<ChainedRecord[]> {
  const params: unknown[] = [];
  const where = [orgMatch(orgId, params, 'e.org_id')];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.from) add((n) => `e.time >= $${n}::timestamptz`, filter.from);
  if (filter.to) add((n) => `e.time < $${n}::timestamptz`, filter.to);
  if (filter.actor) add((n) => `(e.actor_id = $${n} OR lower(e.actor_email) = lower($${n}))`, filter.actor);
  if (filter.actorType) add((n) => `e.actor_type = $${n}`, filter.actorType);
  if (filter.action)
    add((n) => `e.action IN (SELECT jsonb_array_elements_text($${n}::jsonb))`, JSON.stringify(filter.action));
  if (filter.targetType) add((n) => `e.target_type = $${n}`, filter.targetType);
  if (filter.targetId) add((n) => `e.target_id = $${n}`, filter.targetId);
  if (filter.outcome) add((n) => `e.outcome = $${n}`, filter.outcome);
  if (filter.model) add((n) => `e.details->>'model' = $${n}`, filter.model);
  const cmp = options.order === 'newest' ? '<' : '>';
  const dir = options.order === 'newest' ? 'DESC' : 'ASC';
  if (options.after) {
    params.push(options.after.time, options.after.id);
    where.push(`(e.time, e.id) ${cmp} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(options.limit);
  const rows = await inChain(db, orgId, (tx) =>
    tx.$queryRawUnsafe<RowData[]>(
      `SELECT ${ROW_COLUMNS} FROM audit_events e WHERE ${where.join(' AND ')}
        ORDER BY e.time ${dir}, e.id ${dir} LIMIT $${params.length}`,
      ...params,
    ),
  );
  return rows.map(recordFromRow);
}

/** Every matching event, oldest first, fetched in pages: an export never holds more than one page. */
export async function* eachEvent(
  db: Db,
  orgId: string | null,
  filter: AuditFilter,
  pageSize = 1_000,
): AsyncGenerator<ChainedRecord> {
  let after: Cursor | undefined;
  for (;;) {
    const page = await findEvents(db, orgId, filter, { after, limit: pageSize, order: 'oldest' });
    yield* page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    after = { time: last.time, id: last.id };
  }
}
