import { hostname } from 'node:os';
import { Router } from 'express';
import { AUDIT_STREAM, notImplementedRouter, type AirlockModule, type ModuleDeps } from '@airlock/common';
import { createAuditConsumer } from './ingest/consumer.js';
import { createStreamSource } from './ingest/stream-source.js';

const ROUTE_PREFIXES = ['/api/v1/audit-events'] as const;

/** Tuning knobs; defaults suit production. Tests pass small values to run fast. */
export interface AuditModuleOptions {
  stream?: string;
  /** Consumer name in the group; a pod name (the host name) is stable across a container restart. */
  consumer?: string;
  batchSize?: number;
  blockMs?: number;
  claimIdleMs?: number;
  claimEveryMs?: number;
}

export function createAuditModule(options: AuditModuleOptions = {}): AirlockModule {
  const module: AirlockModule = {
    name: 'audit',
    routePrefixes: ROUTE_PREFIXES,
    init(deps: ModuleDeps) {
      const source = createStreamSource(deps.redis, {
        stream: options.stream ?? AUDIT_STREAM,
        consumer: options.consumer ?? hostname(),
        batchSize: options.batchSize ?? 1_000,
        blockMs: options.blockMs ?? 2_000,
        claimIdleMs: options.claimIdleMs ?? 60_000,
        claimEveryMs: options.claimEveryMs ?? 10_000,
      });
      const consumer = createAuditConsumer({
        source,
        db: deps.db,
        logger: deps.logger,
        metrics: deps.metrics,
      });
      const router = Router();
      router.use(notImplementedRouter('audit', ROUTE_PREFIXES));
      return {
        router,
        readiness: [consumer.readiness],
        start: () => consumer.start(),
        stop: () => consumer.stop(),
      };
    },
  };
  return module;
}

/** The audit service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const auditModule: AirlockModule = createAuditModule();
