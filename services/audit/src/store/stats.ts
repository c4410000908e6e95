// Aggregates ai.request events for the usage overview, in Postgres: one GROUP BY GROUPING SETS
// pass over the window for the totals and the four breakdowns, one for the time series. Runs
// inside the org's RLS scope with an explicit org condition, like every other read.
import type { Db } from '@airlock/common';
import {
  STATS_DIMENSIONS,
  STATS_TOP,
  type Bucket,
  type Counts,
  type StatsDimension,
  type StatsRow,
} from '../domain/stats.js';
import { inChain } from './events.js';
import { orgMatch } from './sql.js';

export interface StatsQuery {
  orgId: string;
  /** Only this actor's events (members and viewers see their own). */
  actorId?: string;
  from: Date;
  to: Date;
  bucket: Bucket;
}

type GroupRow = {
  dim: string;
  key: string | null;
  label: string | null;
  requests: string;
  errors: string;
  prompt_tokens: string;
  completion_tokens: string;
};

// GROUPING(...) numbers each set by which columns are aggregated away; the totals (()) are 15.
const DIMENSION_OF_GROUPING: Record<string, StatsDimension | 'totals'> = {
  '7': 'byPerson',
  '11': 'byModel',
  '13': 'byUpstream',
  '14': 'byClientTool',
  '15': 'totals',
};

function where(q: StatsQuery, params: unknown[]): string {
  const conditions = [orgMatch(q.orgId, params, 'e.org_id'), `e.action = 'ai.request'`];
  params.push(q.from.toISOString(), q.to.toISOString());
  conditions.push(
    `e.time >= $${params.length - 1}::timestamptz AND e.time <= $${params.length}::timestamptz`,
  );
  if (q.actorId !== undefined) {
    params.push(q.actorId);
    conditions.push(`e.actor_id = $${params.length}`);
  }
  return conditions.join(' AND ');
}

function counts(row: GroupRow): Counts {
  return {
    requests: Number(row.requests),
    errors: Number(row.errors),
    promptTokens: Number(row.prompt_tokens),
    completionTokens: Number(row.completion_tokens),
  };
}

export async function usageStats(
  db: Db,
  q: StatsQuery,
): Promise<{
  totals: Counts;
  breakdowns: Record<StatsDimension, StatsRow[]>;
  series: Map<string, { requests: number; errors: number }>;
}> {
  const params: unknown[] = [];
  const filter = where(q, params);
  params.push(STATS_TOP);
  const top = `$${params.length}`;
  // Ranked inside each grouping set, so only the top rows of each list leave the database.
  const groupsSql = `
    WITH ev AS (
      SELECT coalesce(e.actor_id, '') AS person, e.actor_email AS email,
             coalesce(e.details->>'model', '') AS model,
             coalesce(e.details->>'upstream', '') AS upstream,
             coalesce(e.details->>'clientTool', 'unknown') AS tool,
             (e.details->>'status')::int >= 400 AS failed,
             coalesce((e.details->>'promptTokens')::bigint, 0) AS pt,
             coalesce((e.details->>'completionTokens')::bigint, 0) AS ct
        FROM audit_events e WHERE ${filter}
    ), grouped AS (
      SELECT GROUPING(person, model, upstream, tool)::text AS dim,
             coalesce(person, model, upstream, tool) AS key,
             CASE WHEN GROUPING(person) = 0 THEN max(email) END AS label,
             count(*) AS requests, count(*) FILTER (WHERE failed) AS errors,
             sum(pt) AS prompt_tokens, sum(ct) AS completion_tokens
        FROM ev GROUP BY GROUPING SETS ((person), (model), (upstream), (tool), ())
    )
    SELECT dim, key, label, requests::text, errors::text,
           coalesce(prompt_tokens, 0)::text AS prompt_tokens,
           coalesce(completion_tokens, 0)::text AS completion_tokens
      FROM (SELECT g.*, row_number() OVER (PARTITION BY dim ORDER BY requests DESC, key) AS rank
              FROM grouped g) ranked
     WHERE rank <= ${top}
     ORDER BY dim, requests DESC, key`;
  const seriesParams: unknown[] = [];
  const seriesFilter = where(q, seriesParams);
  seriesParams.push(q.bucket);
  const seriesSql = `
    SELECT to_char(date_trunc($${seriesParams.length}, e.time AT TIME ZONE 'UTC'),
                   'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t,
           count(*)::text AS requests,
           count(*) FILTER (WHERE (e.details->>'status')::int >= 400)::text AS errors
      FROM audit_events e WHERE ${seriesFilter} GROUP BY 1`;

  const [groups, buckets] = await inChain(db, q.orgId, async (tx) => [
    await tx.$queryRawUnsafe<GroupRow[]>(groupsSql, ...params),
    await tx.$queryRawUnsafe<{ t: string; requests: string; errors: string }[]>(seriesSql, ...seriesParams),
  ]);

  const breakdowns = Object.fromEntries(STATS_DIMENSIONS.map((d) => [d, [] as StatsRow[]])) as Record<
    StatsDimension,
    StatsRow[]
  >;
  let totals: Counts = { requests: 0, errors: 0, promptTokens: 0, completionTokens: 0 };
  for (const row of groups) {
    const dimension = DIMENSION_OF_GROUPING[row.dim];
    if (dimension === undefined) continue;
    if (dimension === 'totals') {
      totals = counts(row);
      continue;
    }
    const key = row.key ?? '';
    breakdowns[dimension].push({ key, label: row.label ?? key, ...counts(row) });
  }
  const series = new Map(
    buckets.map((b) => [b.t, { requests: Number(b.requests), errors: Number(b.errors) }] as const),
  );
  return { totals, breakdowns, series };
}
