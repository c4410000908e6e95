// Where ingest writes. On Postgres the batch transaction runs on a small pool of its own
// (plain `pg`, straight from DATABASE_URL) instead of through Prisma's interactive
// transaction: the statements are the same (store/events.ts), but each round trip skips
// Prisma's engine and result mapping, which measured about twice the cost of the insert.
// PGlite (all-in-one) has no URL to connect to, so it keeps the Prisma path.
import pg from 'pg';
import type { AuditEvent, Db, Logger } from '@airlock/common';
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
  /** Connections; one consumer uses one at a time, the second serves a one-by-one retry. */
  poolSize?: number;
}

function clientRunner(client: pg.PoolClient): SqlRunner {
  return {
    arrays: true,
    rows: async <T>(sql: string, params: unknown[]) => (await client.query(sql, params)).rows as T[],
    count: async (sql, params) => (await client.query(sql, params)).rowCount ?? 0,
  };
}

export function pgEventWriter(options: PgWriterOptions): EventWriter {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 2,
    connectionTimeoutMillis: 5_000,
    // A dead server must not hang ingest forever: fail the batch, which is then retried.
    query_timeout: 30_000,
    application_name: 'airlock-audit-ingest',
  });
  // An idle connection that dies (database restart) must not crash the process; the next
  // batch opens a new one.
  pool.on('error', (e) => options.logger.warn({ err: e.message }, 'audit ingest connection lost'));
  return {
    kind: 'pg',
    async append(events) {
      const byId = distinctById(events);
      if (byId.size === 0) return { inserted: 0, duplicates: events.length };
      const client = await pool.connect();
      let result: AppendResult;
      try {
        // Row-level security is forced on the audit tables: the batch runs in system scope,
        // set for this transaction only (is_local), so the pooled connection keeps nothing.
        await client.query(`BEGIN; SELECT set_config('airlock.system', 'on', true)`);
        result = await appendInTransaction(clientRunner(client), byId, events.length);
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
      return result;
    },
    close: () => pool.end(),
  };
}

/** The fast writer when the database is Postgres and its URL is known, else the Prisma path. */
export function eventWriterFor(db: Db, url: string | undefined, logger: Logger): EventWriter {
  return db.kind === 'postgres' && url ? pgEventWriter({ url, logger }) : prismaEventWriter(db);
}
