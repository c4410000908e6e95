import { hostname } from 'node:os';
import { Router } from 'express';
import {
  AUDIT_LEGACY_STREAM,
  AUDIT_STREAM,
  unknownRouteRouter,
  type AirlockModule,
  type ModuleDeps,
} from '@airlock/common';
import { auditConfigSchema, type AuditConfig } from './config.js';
import type { AuditContext } from './context.js';
import { createAuditConsumer } from './ingest/consumer.js';
import { createStreamSource } from './ingest/stream-source.js';
import { createRetentionJob } from './retention/job.js';
import { eventWriterFor } from './store/pg-writer.js';
import { auditEventRoutes } from './routes/audit-events.js';
import { auditStatsRoutes } from './routes/audit-stats.js';

// Path-element prefixes: '/api/v1/audit' serves /api/v1/audit/stats, not /api/v1/audit-events.
const ROUTE_PREFIXES = ['/api/v1/audit', '/api/v1/audit-events'] as const;

/**
 * What tests set by hand. The tuning knobs override this module's config slice (config.ts, the
 * AIRLOCK_AUDIT_* settings) so a test can run below the ranges operators may set.
 */
export interface AuditModuleOptions {
  stream?: string;
  /**
   * The stream earlier versions published to (one event per entry), read by a second consumer
   * so nothing an older replica publishes during an upgrade is left behind. Default: the
   * legacy stream when `stream` is the default too, else none (tests use streams of their own).
   */
  legacyStream?: string | null;
  /** Consumer name in the group; a pod name (the host name) is stable across a container restart. */
  consumer?: string;
  batchSize?: number;
  blockMs?: number;
  claimIdleMs?: number;
  claimEveryMs?: number;
  retentionIntervalMs?: number;
  retentionInitialDelayMs?: number;
}

export function createAuditModule(options: AuditModuleOptions = {}): AirlockModule<AuditConfig> {
  const module: AirlockModule<AuditConfig> = {
    name: 'audit',
    routePrefixes: ROUTE_PREFIXES,
    configSchema: auditConfigSchema,
    init(deps: ModuleDeps & { moduleConfig: AuditConfig }) {
      const config = deps.moduleConfig;
      // Credentials, authorize() and the policy reader are the process's (deps.access).
      const ctx: AuditContext = {
        db: deps.db,
        audit: deps.audit,
        logger: deps.logger,
        clock: deps.clock,
        access: deps.access,
      };
      const sourceFor = (stream: string) =>
        createStreamSource(deps.redis, {
          stream,
          consumer: options.consumer ?? hostname(),
          batchSize: options.batchSize ?? config.AIRLOCK_AUDIT_INGEST_BATCH_SIZE,
          blockMs: options.blockMs ?? config.AIRLOCK_AUDIT_INGEST_BLOCK_MS,
          claimIdleMs: options.claimIdleMs ?? config.AIRLOCK_AUDIT_CLAIM_IDLE_MS,
          claimEveryMs: options.claimEveryMs ?? config.AIRLOCK_AUDIT_CLAIM_EVERY_MS,
        });
      // Ingest writes on a pool of its own when the database is Postgres (PGlite: Prisma).
      const writer = eventWriterFor(deps.db, deps.config.DATABASE_URL, deps.logger);
      const consumerOf = (stream: string, name: string) =>
        createAuditConsumer({
          source: sourceFor(stream),
          db: deps.db,
          writer,
          logger: deps.logger,
          metrics: deps.metrics,
          name,
        });
      const legacyStream =
        options.legacyStream === undefined
          ? options.stream === undefined && config.AIRLOCK_AUDIT_READ_LEGACY_STREAM
            ? AUDIT_LEGACY_STREAM
            : null
          : options.legacyStream;
      // Both append to the same chains; the chain locks (store/events.ts) serialise them, as
      // they do the consumers of several replicas.
      const consumers = [consumerOf(options.stream ?? AUDIT_STREAM, 'audit-consumer')];
      if (legacyStream !== null) consumers.push(consumerOf(legacyStream, 'audit-consumer-legacy'));
      const retention = createRetentionJob({
        db: deps.db,
        policies: deps.access.policies,
        logger: deps.logger,
        clock: deps.clock,
        intervalMs: options.retentionIntervalMs ?? config.AIRLOCK_AUDIT_RETENTION_INTERVAL_MINUTES * 60_000,
        initialDelayMs: options.retentionInitialDelayMs,
      });
      const router = Router();
      router.use(auditEventRoutes(ctx));
      router.use(auditStatsRoutes(ctx));
      // A path under our prefix that no route matches: a 404 naming this module.
      router.use(unknownRouteRouter('audit', ROUTE_PREFIXES));
      return {
        router,
        readiness: consumers.map((c) => c.readiness),
        async start() {
          await Promise.all(consumers.map((c) => c.start()));
          retention.start();
        },
        async stop() {
          await retention.stop();
          await Promise.all(consumers.map((c) => c.stop()));
          await writer.close();
        },
      };
    },
  };
  return module;
}

/** The audit service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const auditModule: AirlockModule<AuditConfig> = createAuditModule();
