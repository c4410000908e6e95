import type { Router } from 'express';
import type { Access } from '../access/kit.js';
import type { AuditPublisher } from '../audit/publisher.js';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { BaseConfig } from '../config/schema.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Db } from '../db/client.js';
import type { AccessLogSampling } from '../http/create-app.js';
import type { DirectRoute } from '../http/direct-routes.js';
import type { ReadinessCheck } from '../http/health.js';
import type { Logger } from '../logger.js';
import type { RedisHandle } from '../redis/client.js';

/**
 * demo: the all-in-one trial's development IdP and demo model (never in production);
 * console: the web console's built files, served by every target.
 */
export type ModuleName = 'audit' | 'console' | 'demo' | 'gateway' | 'identity' | 'rbac';

/** What every module is built from. Passed in, never imported: tests hand in their own. */
export interface ModuleDeps {
  config: BaseConfig;
  logger: Logger;
  db: Db;
  redis: RedisHandle;
  metrics: Registry;
  keyring: Keyring;
  /** One per process: every module's audit events go through it. */
  audit: AuditPublisher;
  /**
   * One per process: the principal resolver, policy reader, credential middlewares and
   * authorize() every module's routes use (access/kit.ts). Started before the modules.
   */
  access: Access;
  clock: () => Date;
}

export interface ModuleInstance {
  /** Mounted at the app root; registers the module's full route prefixes. */
  router: Router;
  /**
   * Routes of `router` also served on the lean lane in front of Express (exact method and
   * path, same middleware and handlers; see http/direct-routes.ts): the hottest ones only.
   */
  directRoutes?: readonly DirectRoute[];
  /** Route prefixes whose successful requests are logged one in N (see AccessLogSampling). */
  accessLogSampling?: readonly AccessLogSampling[];
  /** Extra /readyz checks beyond the database and Redis. */
  readiness?: ReadinessCheck[];
  /** Background work (consumers, subscribers), started after the server listens. */
  start?(): Promise<void>;
  /** Stops background work; called in reverse start order on shutdown. */
  stop?(): Promise<void>;
  /** Idempotent demo data for all-in-one; returns lines to show the operator once. */
  seedDemo?(): Promise<string[]>;
}

/**
 * A service as a module: its name, the route prefixes it owns (the route map), its own
 * config slice (checked only when the module runs), and how to build it.
 */
export interface AirlockModule<C = unknown> {
  name: ModuleName;
  routePrefixes: readonly string[];
  configSchema?: z.ZodType<C>;
  /**
   * When the process loads Prisma's client: 'at-start' (the default) for modules that query
   * through it on every request; 'on-demand' for one whose requests go through db.sql (the
   * gateway), so a process of such modules only loads Prisma if a rare route needs it.
   */
  prisma?: 'at-start' | 'on-demand';
  init(deps: ModuleDeps & { moduleConfig: C }): Promise<ModuleInstance> | ModuleInstance;
}
