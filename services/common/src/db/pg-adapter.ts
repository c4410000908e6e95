// The Prisma CLI's adapter (prisma.config.ts), with a workaround for @prisma/adapter-pg
// 6.19.3 (see shared/recipes/prisma-offline.md): the CLI splits migration scripts on ";",
// which breaks DO blocks and functions; the migration adapter sends each script whole. Its
// pool is pg-pool.ts's (no "name"/"char" columns).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaSafePool, pgConfig } from './pg-pool.js';

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
