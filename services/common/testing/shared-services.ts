// The Postgres and Redis that `make test` starts (scripts/test.sh). Each suite gets its own
// database cloned from the migrated template, owned by a role that is not a superuser, so
// row-level security applies to tests exactly as in production.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../src/db/client.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the suite with \`make test\`, which starts Postgres and Redis`);
  return value;
}

export const testEnv = {
  get adminUrl() {
    return required('TEST_DATABASE_ADMIN_URL');
  },
  get template() {
    return required('TEST_DATABASE_TEMPLATE');
  },
  get appRole() {
    return required('TEST_DATABASE_APP_ROLE');
  },
  get redisUrl() {
    return required('TEST_REDIS_URL');
  },
  /**
   * The Redis URL for suites that also run against the in-memory stand-in: undefined (the
   * stand-in) when TEST_REDIS_URL=memory, as scripts/test.sh sets for its second pass.
   */
  get redisUrlOrStandIn(): string | undefined {
    const url = required('TEST_REDIS_URL');
    return url === 'memory' ? undefined : url;
  },
};

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  /** Connects as the application role (RLS enforced). */
  url: string;
  /** Connects as the superuser (RLS bypassed): for assertions and fixtures only. */
  adminUrl: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one suite. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: testEnv.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${testEnv.template}" OWNER "${testEnv.appRole}"`);
  } finally {
    await admin.end();
  }
  const appUrl = new URL(withDatabase(testEnv.adminUrl, name));
  appUrl.username = testEnv.appRole;
  return {
    url: appUrl.toString(),
    adminUrl: withDatabase(testEnv.adminUrl, name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: testEnv.adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh database opened through the app's own Db. */
export async function openTestDb(): Promise<{ db: Db; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = await openDb({ url: database.url, poolSize: 4 });
  return {
    db,
    database,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

/**
 * The environment of a server under test: loopback on a free port, the given database, a
 * fresh encryption key and the shared Redis, or `redisUrl` (undefined: no REDIS_URL at all,
 * which selects the in-memory stand-in, as in all-in-one).
 */
export function serverEnv(
  database: { url: string },
  extra: Record<string, string> = {},
  redisUrl: string | undefined = testEnv.redisUrl,
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    // 'memory' (TEST_REDIS_URL=memory, or the default when a caller passes undefined, which
    // JavaScript replaces by the default) also selects the stand-in.
    ...(redisUrl && redisUrl !== 'memory' ? { REDIS_URL: redisUrl } : {}),
    AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}
