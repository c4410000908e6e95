// Applies prisma/migrations/<name>/migration.sql in name order, recording them in the same
// _prisma_migrations table (sha256 checksum) that `prisma migrate deploy` writes, so the
// Prisma CLI's `migrate status` agrees with us. No Prisma engine is needed, which keeps
// air-gapped installs free of downloads. Each file runs in one transaction.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../prisma/migrations',
);

/** The few calls the migrator needs; PGlite and a pg.Client both provide them. */
export interface SqlSession {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Serialises concurrent migrators (two replicas, or a Job racing a developer) on Postgres.
const LOCK_KEY = 72_657_001;

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Applies pending migrations; returns the names applied. */
export async function applyMigrations(db: SqlSession, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  try {
    await db.exec(MIGRATIONS_TABLE);
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const failed = rows.find((r) => r.finished_at === null);
    if (failed)
      throw new MigrationError(`migration ${failed.migration_name} previously failed; resolve it first`);
    const done = new Map(rows.map((r) => [r.migration_name, r.checksum]));

    const applied: string[] = [];
    for (const name of await listMigrations(dir)) {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const known = done.get(name);
      if (known !== undefined) {
        // An edited migration means databases differ in ways nobody can see: refuse.
        if (known !== checksum)
          throw new MigrationError(`migration ${name} was modified after it was applied`);
        continue;
      }
      await db.exec('BEGIN');
      try {
        await db.exec(sql);
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), checksum, name],
        );
        await db.exec('COMMIT');
      } catch (e) {
        await db.exec('ROLLBACK');
        throw new MigrationError(`migration ${name} failed: ${(e as Error).message}`, { cause: e });
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  }
}

/**
 * The migrations not yet applied to a database (all of them when it was never migrated).
 * Servers check this at start-up: on an empty Postgres the first query would otherwise fail
 * deep inside a module with "table does not exist".
 */
export async function pendingMigrations(
  db: Pick<SqlSession, 'query'>,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const [table] = await db.query<{ t: string | null }>(
    `SELECT to_regclass('public._prisma_migrations')::text AS t`,
  );
  const applied = table?.t
    ? new Set(
        (
          await db.query<{ migration_name: string }>(
            `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
          )
        ).map((r) => r.migration_name),
      )
    : new Set<string>();
  return (await listMigrations(dir)).filter((m) => !applied.has(m));
}
