// Where ingest writes. On Postgres the batch transaction runs on a small pool of its own
// (plain `pg`, straight from DATABASE_URL) instead of through Prisma's interactive
// transaction: the statements are the same (store/events.ts), but each round trip skips
// Prisma's engine and result mapping, which measured about twice the cost of the insert.
// PGlite (all-in-one) has no URL to connect to, so it keeps the Prisma path.
import pg from 'pg';
import type { AuditEvent, Db, Logger } from '@airlock/common';
import { chainKey } from '../domain/hash-chain.js';
import {
  appendEvents,
  appendInTransaction,
  distinctById,
  type AppendResult,
  type SqlRunner,
} from './events.js';

export interface EventWriter {
  readonly kind: 'pg' | 'prisma';
  /** Stores a batch in one transaction (see appendEvents for the guarantees). */
  append(events: readonly AuditEvent[]): Promise<AppendResult>;
  close(): Promise<void>;
}

/** The Prisma path: PGlite, or a Postgres opened without a URL at hand. */
export function prismaEventWriter(db: Db): EventWriter {
  return {
    kind: 'prisma',
    append: (events) => appendEvents(db, events),
    async close() {},
  };
}

export interface PgWriterOptions {
  url: string;
  logger: Logger;
  /**
   * Transactions a batch is split into, by chain (default 2). Chains are independent, so
   * two transactions on disjoint chains run at the same time on two database backends.
   */
  parallel?: number;
}

function clientRunner(client: pg.PoolClient): SqlRunner {
  return {
    arrays: true,
    rows: async <T>(sql: string, params: unknown[]) => (await client.query(sql, params)).rows as T[],
    count: async (sql, params) => (await client.query(sql, params)).rowCount ?? 0,
  };
}

/**
 * Splits a batch into at most `parts` groups, each holding whole chains (an org's events stay
 * together and in order), balanced by event count: the largest chains first, each to the
 * group with the fewest events so far.
 */
export function splitByChain(byId: Map<string, AuditEvent>, parts: number): Map<string, AuditEvent>[] {
  const chains = new Map<string, [string, AuditEvent][]>();
  for (const entry of byId) {
    const key = chainKey(entry[1].orgId?.toLowerCase() ?? null);
    const list = chains.get(key);
    if (list) list.push(entry);
    else chains.set(key, [entry]);
  }
  const groups = Array.from(
    { length: Math.max(1, Math.min(parts, chains.size)) },
    () => new Map<string, AuditEvent>(),
  );
  for (const list of [...chains.values()].sort((a, b) => b.length - a.length)) {
    const smallest = groups.reduce((min, g) => (g.size < min.size ? g : min));
    for (const [id, event] of list) smallest.set(id, event);
  }
  return groups;
}

export function pgEventWriter(options: PgWriterOptions): EventWriter {
  const parallel = Math.max(1, options.parallel ?? 2);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: parallel,
    connectionTimeoutMillis: 5_000,
    // A dead server must not hang ingest forever: fail the batch, which is then retried.
    query_timeout: 30_000,
    application_name: 'airlock-audit-ingest',
  });
  // An idle connection that dies (database restart) must not crash the process; the next
  // batch opens a new one.
  pool.on('error', (e) => options.logger.warn({ err: e.message }, 'audit ingest connection lost'));

  /** One transaction on its own connection; returns the rows inserted. */
  async function appendGroup(group: Map<string, AuditEvent>): Promise<number> {
    const client = await pool.connect();
    let result: AppendResult;
    try {
      // Row-level security is forced on the audit tables: the batch runs in system scope,
      // set for this transaction only (is_local), so the pooled connection keeps nothing.
      await client.query(`BEGIN; SELECT set_config('airlock.system', 'on', true)`);
      result = await appendInTransaction(clientRunner(client), group, group.size);
      await client.query('COMMIT');
    } catch (e) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch {
        client.release(true); // the connection is unusable: drop it from the pool
      }
      throw e;
    }
    client.release();
    return result.inserted;
  }

  return {
    kind: 'pg',
    async append(events) {
      const byId = distinctById(events);
      if (byId.size === 0) return { inserted: 0, duplicates: events.length };
      // Each group commits on its own. If one fails, what the others committed is skipped as
      // already stored when the batch is delivered again (the same as a crash before the ack).
      const settled = await Promise.allSettled(splitByChain(byId, parallel).map(appendGroup));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const inserted = settled.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
      return { inserted, duplicates: events.length - inserted };
    },
    close: () => pool.end(),
  };
}

/** The fast writer when the database is Postgres and its URL is known, else the Prisma path. */
export function eventWriterFor(db: Db, url: string | undefined, logger: Logger): EventWriter {
  return db.kind === 'postgres' && url ? pgEventWriter({ url, logger }) : prismaEventWriter(db);
}
