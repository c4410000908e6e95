// Module deps for tests: what openRuntime gives a module in production, built from a test
// database and the shared test Redis, with a logger, an audit trail and a clock the test
// can read and move.
import { randomBytes, randomUUID } from 'node:crypto';
import { createAccess } from '../src/access/kit.js';
import { createAuditPublisher, type AuditPublisher } from '../src/audit/publisher.js';
import { eventsOfEntry, type AuditEvent, type AuditEventInput } from '../src/audit/index.js';
import { parseKeyring } from '../src/crypto/keyring.js';
import type { Db } from '../src/db/client.js';
import type { ModuleDeps } from '../src/lifecycle/module.js';
import { loadBaseConfig } from '../src/lifecycle/runtime.js';
import { createMetrics } from '../src/metrics.js';
import { openRedis } from '../src/redis/client.js';
import { captureLogger, type CapturedLogger } from './logger.js';
import { testEnv } from './shared-services.js';

export interface TestDepsOptions extends Partial<Omit<ModuleDeps, 'config' | 'db'>> {
  /**
   * Base settings over NODE_ENV=test, read by the production schema (AIRLOCK_PUBLIC_URL,
   * AIRLOCK_TRUSTED_PROXIES, AIRLOCK_REDIS_COMMAND_TIMEOUT_MS…); buildModuleApp reads the
   * modules' own slices from the same env.
   */
  env?: Record<string, string | undefined>;
  /**
   * A Redis of the test's own (one it stops), or 'memory' for the in-memory stand-in; default
   * the shared one (the stand-in when TEST_REDIS_URL=memory).
   */
  redisUrl?: string;
  /** Name in log lines and metrics. */
  service?: string;
}

export interface TestDeps extends ModuleDeps {
  /** The env deps.config was read from (buildModuleApp reads module settings from it too). */
  env: Record<string, string | undefined>;
  /** What deps.logger wrote (when the test did not hand in a logger of its own). */
  log: CapturedLogger;
  /** Every event published through deps.audit, in order (each also goes to the stream). */
  published: AuditEventInput[];
  /** The Redis stream deps.audit writes to: this deps' own, so no other suite's events land there. */
  auditStream: string;
  /** The events on the stream (after flushing the publisher), oldest first. */
  auditEvents(): Promise<AuditEvent[]>;
  /** Moves deps.clock forward (the default clock: real time plus what the test added). */
  advance(ms: number): void;
  /** Stops what testDeps opened (access, publisher, Redis, the stream); the database is the caller's. */
  close(): Promise<void>;
}

export function testDeps(db: Db, overrides: TestDepsOptions = {}): TestDeps {
  const { env: envOverrides, redisUrl, service = 'test', ...given } = overrides;
  const env = { NODE_ENV: 'test', ...envOverrides };
  const config = loadBaseConfig(env);
  const log = captureLogger({ service });
  const logger = given.logger ?? log.logger;
  const ownRedis = !given.redis;
  const redis =
    given.redis ??
    openRedis({
      url: redisUrl === 'memory' ? undefined : (redisUrl ?? testEnv.redisUrlOrStandIn),
      nodeEnv: config.NODE_ENV,
      commandTimeoutMs: config.AIRLOCK_REDIS_COMMAND_TIMEOUT_MS,
      onError: () => undefined, // tests that stop Redis expect reconnect errors
    });
  const metrics = given.metrics ?? createMetrics(service);
  const auditStream = `airlock:test:audit:${randomUUID()}`;
  const publisher =
    given.audit ?? createAuditPublisher({ redis: redis.client, logger, metrics, stream: auditStream });
  const published: AuditEventInput[] = [];
  const audit: AuditPublisher = {
    ...publisher,
    publish(event) {
      published.push(event as AuditEventInput);
      return publisher.publish(event);
    },
  };
  let offset = 0;
  const clock = given.clock ?? (() => new Date(Date.now() + offset));
  // Built by the factory openRuntime uses; buildModuleApp starts it as runModules does.
  const access =
    given.access ?? createAccess({ db, redis, logger, clock, publicUrl: config.AIRLOCK_PUBLIC_URL });
  return {
    config,
    logger,
    db,
    redis,
    metrics,
    keyring: given.keyring ?? parseKeyring(randomBytes(32).toString('base64')),
    audit,
    access,
    clock,
    env,
    log,
    published,
    auditStream,
    async auditEvents() {
      await publisher.flush();
      const entries = await redis.client.xrange(auditStream, '-', '+');
      return entries.flatMap(([, fields]) => eventsOfEntry<AuditEvent>(fields));
    },
    advance(ms) {
      if (given.clock) throw new Error('advance() moves the default clock only');
      offset += ms;
    },
    async close() {
      if (!given.access) await access.stop();
      if (!given.audit) await publisher.stop();
      await redis.client.del(auditStream).catch(() => undefined);
      if (ownRedis) await redis.close();
    },
  };
}
