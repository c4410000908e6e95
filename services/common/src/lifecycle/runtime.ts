// Opens what every module needs: config, logger, database, Redis, metrics, key ring.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createAccess } from '../access/kit.js';
import { createAuditPublisher } from '../audit/publisher.js';
import { parseConfig, ConfigError } from '../config/load.js';
import { baseConfigSchema, type BaseConfig } from '../config/schema.js';
import { parseKeyring, type Keyring } from '../crypto/keyring.js';
import { openDb, type DbOptions } from '../db/client.js';
import { pendingMigrations } from '../db/migrate.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { openRedis } from '../redis/client.js';
import { applyV8Heuristics } from './v8-heuristics.js';
import type { ModuleDeps } from './module.js';

type Env = Record<string, string | undefined>;

export function loadBaseConfig(env: Env): BaseConfig {
  return parseConfig(baseConfigSchema, env);
}

/**
 * The key ring from AIRLOCK_ENCRYPTION_KEY. Outside production a missing key is generated
 * once into the data folder, so `npm start` needs no setup; production requires the key.
 */
export function loadKeyring(config: BaseConfig): Keyring {
  let value = config.AIRLOCK_ENCRYPTION_KEY;
  if (!value) {
    if (config.NODE_ENV === 'production')
      throw new ConfigError('invalid config: AIRLOCK_ENCRYPTION_KEY: is required');
    const file = path.join(config.AIRLOCK_DATA_DIR, 'encryption.key');
    if (!existsSync(file)) {
      mkdirSync(config.AIRLOCK_DATA_DIR, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    value = readFileSync(file, 'utf8').trim();
  }
  try {
    return parseKeyring(value);
  } catch (e) {
    throw new ConfigError(`invalid config: AIRLOCK_ENCRYPTION_KEY: ${(e as Error).message}`);
  }
}

export interface Runtime extends ModuleDeps {
  close(): Promise<void>;
}

export async function openRuntime(
  config: BaseConfig,
  service: string,
  logger?: Logger,
  options: Pick<DbOptions, 'prisma'> = {},
): Promise<Runtime> {
  applyV8Heuristics(config);
  const log = logger ?? createLogger({ level: config.LOG_LEVEL, service });
  const keyring = loadKeyring(config);
  if (config.NODE_ENV !== 'production' && (!config.DATABASE_URL || !config.REDIS_URL)) {
    log.warn(
      { database: config.DATABASE_URL ? 'postgres' : 'pglite', redis: config.REDIS_URL ? 'redis' : 'memory' },
      'embedded stand-ins in use: fine for a trial, not for production',
    );
  }
  let redisDown = false;
  const redis = openRedis({
    url: config.REDIS_URL,
    nodeEnv: config.NODE_ENV,
    commandTimeoutMs: config.AIRLOCK_REDIS_COMMAND_TIMEOUT_MS,
    onError: (e) => {
      // One line per outage, not one per reconnect attempt.
      if (!redisDown) log.warn({ err: e.message }, 'redis unavailable; retrying');
      redisDown = true;
    },
  });
  redis.client.on('ready', () => {
    if (redisDown) log.info('redis connection restored');
    redisDown = false;
  });
  const db = await openDb({
    onIdleError: (e) =>
      log.warn({ err: e.message }, 'an idle database connection failed; the pool opens a new one'),
    url: config.DATABASE_URL,
    pgliteDir: path.join(config.AIRLOCK_DATA_DIR, 'pglite'),
    poolSize: config.AIRLOCK_DB_POOL_SIZE,
    prisma: options.prisma,
  });
  if (db.kind === 'postgres') await refuseUnmigrated(db, () => redis.close());
  const metrics = createMetrics(service);
  const audit = createAuditPublisher({ redis: redis.client, logger: log, metrics });
  const clock = () => new Date();
  const access = createAccess({ db, redis, logger: log, clock, publicUrl: config.AIRLOCK_PUBLIC_URL });
  return {
    config,
    logger: log,
    db,
    redis,
    metrics,
    keyring,
    audit,
    access,
    clock,
    // Every part is closed even when an earlier one fails (Redis still connecting, say), so
    // no database connection outlives the runtime; the first failure is then reported.
    async close() {
      let first: unknown;
      for (const close of [() => access.stop(), () => audit.stop(), () => redis.close(), () => db.close()]) {
        await close().catch((e: unknown) => (first ??= e));
      }
      if (first !== undefined) throw first;
    },
  };
}

/** An unmigrated Postgres stops start-up with one line saying what to run (PGlite migrates itself). */
async function refuseUnmigrated(
  db: Awaited<ReturnType<typeof openDb>>,
  cleanup: () => Promise<void>,
): Promise<void> {
  const pending = await pendingMigrations({
    query: <T>(sql: string) => db.sql.query<T>(sql),
  });
  if (pending.length === 0) return;
  await db.close();
  await cleanup();
  throw new ConfigError(
    `the database is not migrated (${pending.length} migration${pending.length === 1 ? '' : 's'} pending, first ${pending[0]}): ` +
      'run `node services/server/dist/main.js migrate` with the same DATABASE_URL (from a checkout: `npm run migrate`; the Helm chart runs it as a hook Job), then start again',
  );
}
