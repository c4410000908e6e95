// The pg pool every handle shares between Prisma and db.sql, with a workaround for
// @prisma/adapter-pg 6.19.3 (see shared/recipes/prisma-offline.md): prisma/orm#27403, columns
// of type "name" (oid 19) and "char" (oid 18) cannot be deserialised, so the pool reports
// them as text. Kept apart from pg-adapter.ts so that opening a database does not load the
// Prisma adapter (db/prisma-modules.ts loads it on a handle's first Prisma use).
import pg from 'pg';
import { parse } from 'pg-connection-string';

const REWRITE_TO_TEXT = new Set([18, 19]);

function patchFields<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const f of (r as pg.QueryResult | undefined)?.fields ?? []) {
      if (REWRITE_TO_TEXT.has(f.dataTypeID)) f.dataTypeID = 25;
    }
  }
  return result;
}

/** pg.Pool whose query() results never report "name"/"char" columns (PrismaPg uses pool.query). */
export class PrismaSafePool extends pg.Pool {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const ret = (pg.Pool.prototype.query as any).apply(this, args);
    return ret && typeof ret.then === 'function' ? ret.then(patchFields) : ret;
  }
}

/** Fields, not connectionString: with connectionString, PrismaPg's shadow pool ignores `database`. */
export function pgConfig(url: string): pg.PoolConfig {
  return parse(url) as pg.PoolConfig;
}
