// Small parameterised SQL on the same connections as Prisma, for the few reads a hot path
// makes (credential and policy loads, probes): a process that only runs those never loads
// Prisma's query compiler (about 30–40 MB of WebAssembly, loaded on a client's first query).
// Scoped the same way as Prisma's queries (scope.ts): set_config(..., true) inside a
// transaction, so row-level security applies and a pooled connection keeps nothing.
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type pg from 'pg';
import { scopeSettings, type Scope } from './scope.js';

/** One parameterised statement ($1, $2…); rows as plain objects, columns as named in the SQL. */
export type SqlQuery = <T>(text: string, params?: readonly unknown[]) => Promise<T[]>;

export interface SqlDb {
  /** Unscoped: sees no org-scoped rows under row-level security (probes, catalog reads). */
  query: SqlQuery;
  /** Runs `fn`'s statements in one transaction inside `scope`. */
  inScope<T>(scope: Scope, fn: (query: SqlQuery) => Promise<T>): Promise<T>;
}

const SET_SCOPE = 'SELECT set_config($1, $2, true)';

export function pgSql(pool: pg.Pool): SqlDb {
  return {
    query: async <T>(text: string, params?: readonly unknown[]) =>
      (await pool.query(text, params as unknown[])).rows as T[],
    async inScope(scope, fn) {
      const settings = scopeSettings(scope);
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        await client.query(SET_SCOPE, settings);
        const result = await fn(
          async <T>(text: string, params?: readonly unknown[]) =>
            (await client.query(text, params as unknown[])).rows as T[],
        );
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((r: unknown) => (broken = r as Error));
        throw e;
      } finally {
        // A connection whose rollback failed is not returned to the pool.
        client.release(broken);
      }
    },
  };
}

export function pgliteSql(db: PGlite): SqlDb {
  const on =
    (q: PGlite | Transaction): SqlQuery =>
    async <T>(text: string, params?: readonly unknown[]) =>
      (await q.query<T>(text, params as unknown[])).rows;
  return {
    query: on(db),
    inScope: (scope, fn) =>
      db.transaction(async (tx) => {
        await tx.query(SET_SCOPE, scopeSettings(scope));
        return fn(on(tx));
      }),
  };
}
