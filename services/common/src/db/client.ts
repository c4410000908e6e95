// The database: Postgres when DATABASE_URL is set, otherwise embedded PGlite (real Postgres
// in WASM) on disk, migrated at open. PGlite is for all-in-one and development only; config
// refuses it in production.
import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PrismaSafePool, pgConfig } from './pg-pool.js';
import { canRequireEsm, importPrismaModules, prismaClientClass, prismaPgClass } from './prisma-modules.js';
import { pgliteSql, pgSql, type SqlDb } from './sql.js';
import { applyMigrations, MIGRATIONS_DIR, type SqlSession } from './migrate.js';
import { inScope, scopedClient, type ScopedClient, type Tx } from './scope.js';

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  /** Unscoped. On org-scoped tables it sees nothing under RLS: use forOrg/system. */
  readonly prisma: PrismaClient;
  /** Queries confined to one org. */
  forOrg(orgId: string): ScopedClient;
  /** Queries across orgs (token lookup by hash, platform admin, audit ingest). */
  readonly system: ScopedClient;
  /**
   * Plain parameterised SQL on the same connections, for hot-path reads: a process that
   * only uses this never loads Prisma (db/prisma-modules.ts) nor its query compiler.
   */
  readonly sql: SqlDb;
  inOrg<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  asSystem<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** Postgres URL; unset selects PGlite. */
  url?: string;
  /** PGlite folder, or "memory://" for a throwaway in-memory database. */
  pgliteDir?: string;
  poolSize?: number;
  migrationsDir?: string;
  /**
   * An idle pooled connection failed (Postgres restarted, a failover, an administrator ended
   * it). pg drops that connection and the next query opens a new one; without a listener the
   * pool's 'error' event would crash the process.
   */
  onIdleError?: (e: Error) => void;
  /**
   * 'at-open' (the default) loads Prisma's modules when the database opens, so no request
   * pays for loading them (about 0.4 s of blocked event loop); 'on-first-use' leaves them
   * unloaded until a handle's first Prisma use, for a process that queries through db.sql.
   */
  prisma?: 'at-open' | 'on-first-use';
}

/**
 * The handle. Its Prisma client is built (and Prisma loaded, db/prisma-modules.ts) on the first
 * use of `prisma`, `system`, `forOrg`, `inOrg` or `asSystem`: a process that only queries
 * through `sql` (the gateway's hot path) never builds one, and closing a handle whose client
 * was never built only closes the connections.
 */
function wrap(
  kind: Db['kind'],
  createPrisma: () => PrismaClient,
  sql: SqlDb,
  closeConnections: () => Promise<void>,
): Db {
  let prisma: PrismaClient | undefined;
  let system: ScopedClient | undefined;
  const client = (): PrismaClient => (prisma ??= createPrisma());
  return {
    kind,
    get prisma() {
      return client();
    },
    get system() {
      return (system ??= scopedClient(client(), { system: true }));
    },
    sql,
    forOrg: (orgId) => scopedClient(client(), { orgId }),
    // async: a failure to build the client rejects, as a failed transaction would.
    inOrg: async (orgId, fn) => inScope(client(), { orgId }, fn),
    asSystem: async (fn) => inScope(client(), { system: true }, fn),
    async ping() {
      await sql.query('SELECT 1');
    },
    async close() {
      if (prisma) await prisma.$disconnect();
      await closeConnections();
    },
  };
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.prisma !== 'on-first-use' || !canRequireEsm()) await importPrismaModules();
  if (options.url) {
    // One pool for Prisma and for plain SQL (db.sql).
    const pool = new PrismaSafePool({
      ...pgConfig(options.url),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A dead server must not hang a request forever: fail the query instead.
      query_timeout: 30_000,
    });
    pool.on('error', (e) => options.onIdleError?.(e));
    const createPrisma = () => {
      const [PrismaClient, PrismaPg] = [prismaClientClass(), prismaPgClass()];
      return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    };
    return wrap('postgres', createPrisma, pgSql(pool), async () => {
      // A client that never ran a query (or was never built) did not end the pool.
      if (!pool.ending) await pool.end();
    });
  }
  const dir = options.pgliteDir ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true }); // PGlite does not create parents
  // Loaded here, not at start: a process on Postgres never holds the embedded database's code.
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create(dir);
  await applyMigrations(pgliteSession(pglite), options.migrationsDir ?? MIGRATIONS_DIR);
  // Imported, not required: the adapter's CommonJS build would bring a second PGlite module
  // whose DatabaseError is not this one's, and query errors would lose their Prisma codes.
  // PGlite is for development and all-in-one, where Prisma is used anyway.
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const createPrisma = () => new (prismaClientClass())({ adapter: new PrismaPGlite(pglite) });
  return wrap('pglite', createPrisma, pgliteSql(pglite), () => pglite.close());
}

export function pgliteSession(db: PGlite): SqlSession {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
  };
}

/** Waits for Postgres to accept connections (up to waitSeconds), then migrates it. */
export async function migratePostgres(
  url: string,
  {
    waitSeconds = 60,
    migrationsDir = MIGRATIONS_DIR,
    onWait,
  }: { waitSeconds?: number; migrationsDir?: string; onWait?: (e: Error) => void } = {},
): Promise<string[]> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const client = new pg.Client({ ...pgConfig(url), connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() >= deadline) throw e;
      onWait?.(e as Error);
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    try {
      return await applyMigrations(
        {
          exec: async (sql) => {
            await client.query(sql);
          },
          query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        },
        migrationsDir,
      );
    } finally {
      await client.end();
    }
  }
}
