// Workarounds for @prisma/adapter-pg 6.19.3 (see shared/recipes/prisma-offline.md):
// - prisma/orm#27403: columns of type "name" (oid 19) and "char" (oid 18) cannot be
//   deserialised; the pool reports them as text.
// - the CLI splits migration scripts on ";", which breaks DO blocks and functions; the
//   migration adapter sends each script whole.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { PrismaPg } from '@prisma/adapter-pg';

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

type Connected = Awaited<ReturnType<PrismaPg['connect']>>;

function wholeScripts(adapter: Connected, pool: pg.Pool): Connected {
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (e) {
      (adapter as unknown as { onError(e: unknown): never }).onError(e);
    }
  };
  return adapter;
}

/** Adapter for the Prisma CLI (prisma.config.ts). The shadow database needs a CREATEDB role. */
export function createPgMigrationAdapter(url: string): PrismaPg {
  const config: pg.PoolConfig = { ...pgConfig(url), allowExitOnIdle: true };
  const pool = new PrismaSafePool(config);
  const factory = new PrismaPg(pool);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => wholeScripts(await connect(), pool);
  factory.connectToShadowDb = async () => {
    const admin = new pg.Client(config);
    await admin.connect();
    const name = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const shadowPool = new PrismaSafePool({ ...config, database: name });
    const adapter = wholeScripts(await new PrismaPg(shadowPool).connect(), shadowPool);
    adapter.dispose = async () => {
      await shadowPool.end();
      await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
      await admin.end();
    };
    return adapter;
  };
  return factory;
}
