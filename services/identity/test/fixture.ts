// Builds the identity module on a fresh test database and the shared test Redis, with a
// clock the test moves, plus helpers to create orgs, users and sessions.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  createAccess,
  createApp,
  createAuditPublisher,
  createLogger,
  createMetrics,
  openRedis,
  parseKeyring,
  type AuditEventInput,
  type AuditPublisher,
  type Logger,
  type ModuleInstance,
  type Role,
} from '@airlock/common';
import { createServer, type Server } from 'node:http';
import { freePort, openTestDb, testEnv } from '@airlock/common/testing';
import type { Express } from 'express';
import { baseConfigSchema } from '@airlock/common';
import { rbacConfig, rbacModule } from '@airlock/rbac';
import { identityConfig, type IdentityConfig } from '../src/config.js';
import type { IdentityContext } from '../src/context.js';
import { identityContext, identityModule } from '../src/module.js';
import { insertSession } from '../src/store/sessions.js';

export interface Fixture {
  app: Express;
  /** Set when started with listen: the app's own URL (= AIRLOCK_PUBLIC_URL). */
  url: string;
  ctx: IdentityContext;
  instance: ModuleInstance;
  /** Moves the shared clock forward. */
  advance(ms: number): void;
  now(): Date;
  /** Audit events published so far (also sent to the stream). */
  events: AuditEventInput[];
  logs(): string;
  org(slug?: string, allowedEmailDomains?: string[]): Promise<{ id: string; slug: string }>;
  user(orgId: string | null, role?: Role, extra?: { isPlatformAdmin?: boolean }): Promise<TestUser>;
  close(): Promise<void>;
}

export interface TestUser {
  id: string;
  email: string;
  orgId: string | null;
  /** A fresh session cookie value for this user. */
  session(): Promise<string>;
}

export function captureLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    logger: createLogger({ level: 'debug', service: 'identity-test', destination }),
    text: () => chunks.join(''),
  };
}

export async function startFixture(
  options: {
    publicUrl?: string;
    settings?: Partial<IdentityConfig>;
    listen?: boolean;
    redisUrl?: string;
    /** Believe X-Forwarded-For from loopback (tests that need distinct client IPs). */
    trustProxy?: boolean;
    /** Also mount rbac (orgs, members, platform routes) with this bootstrap token, as all-in-one does. */
    rbacBootstrapToken?: string;
  } = {},
): Promise<Fixture> {
  const port = options.listen ? await freePort() : 0;
  const publicUrl = options.listen
    ? `http://127.0.0.1:${port}`
    : (options.publicUrl ?? 'http://localhost:8080');
  const testDb = await openTestDb();
  const { db } = testDb;
  const redis = openRedis({
    url: options.redisUrl ?? testEnv.redisUrl,
    nodeEnv: 'test',
    commandTimeoutMs: 500,
  });
  const log = captureLogger();
  const metrics = createMetrics('identity-test');
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const events: AuditEventInput[] = [];
  const real = createAuditPublisher({ redis: redis.client, logger: log.logger, metrics });
  const audit: AuditPublisher = {
    ...real,
    publish(event) {
      events.push(event as AuditEventInput);
      return real.publish(event);
    },
  };
  const config = baseConfigSchema.parse({
    NODE_ENV: 'test',
    AIRLOCK_PUBLIC_URL: publicUrl,
  });
  const access = createAccess({ db, redis, logger: log.logger, clock, publicUrl: config.AIRLOCK_PUBLIC_URL });
  await access.start();
  const deps = {
    config,
    logger: log.logger,
    db,
    redis,
    metrics,
    keyring: parseKeyring(randomBytes(32).toString('base64')),
    audit,
    access,
    clock,
    // Suites run in parallel from one IP: the SSO start throttle is tested on its own.
    moduleConfig: identityConfig({
      AIRLOCK_SSO_LOGIN_IP_LIMIT: 100_000,
      AIRLOCK_LOGIN_FAILED_AUDIT_PER_ADDRESS: 100_000,
      AIRLOCK_LOGIN_FAILED_AUDIT_PER_ORG: 1_000_000,
      // One bootstrap token for rbac's and identity's platform routes, as in a deployment.
      AIRLOCK_BOOTSTRAP_TOKEN: options.rbacBootstrapToken,
      ...options.settings,
    }),
  };
  const rbac = options.rbacBootstrapToken
    ? await rbacModule.init({
        ...deps,
        moduleConfig: rbacConfig({ AIRLOCK_BOOTSTRAP_TOKEN: options.rbacBootstrapToken }),
      })
    : undefined;
  await rbac?.start?.();
  const instance = await identityModule.init(deps);
  await instance.start?.();
  // A second context on the same deps, for domain-level calls in tests (its resolver only
  // publishes; the module's own resolver is the one serving requests).
  const ctx = identityContext(deps);
  const app = createApp({
    logger: log.logger,
    metrics,
    readiness: { phase: 'serving', checks: [] },
    routers: rbac ? [rbac.router, instance.router] : [instance.router],
    corsOrigins: [],
    trustedProxies: options.trustProxy ? ['loopback'] : [],
    bodyLimit: '64kb',
    serveMetrics: false,
  });

  let server: Server | undefined;
  if (options.listen) {
    server = createServer(app);
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
  }

  return {
    app,
    url: publicUrl,
    ctx,
    instance,
    advance: (ms) => {
      offset += ms;
    },
    now: clock,
    events,
    logs: log.text,
    async org(slug = `org-${randomUUID().slice(0, 8)}`, allowedEmailDomains: string[] = []) {
      const row = await db.system.org.create({ data: { slug, name: slug, allowedEmailDomains } });
      return { id: row.id, slug: row.slug };
    },
    async user(orgId, role = 'member', extra = {}) {
      const email = `u-${randomUUID().slice(0, 8)}@example.com`;
      const user = await db.prisma.user.create({
        data: { email, name: email, isPlatformAdmin: extra.isPlatformAdmin ?? false },
      });
      if (orgId) await db.system.membership.create({ data: { orgId, userId: user.id, role } });
      return {
        id: user.id,
        email,
        orgId,
        session: async () =>
          (
            await insertSession(db, {
              userId: user.id,
              orgId,
              idleMs: deps.moduleConfig.AIRLOCK_SESSION_IDLE_MINUTES * 60_000,
              absoluteMs: deps.moduleConfig.AIRLOCK_SESSION_ABSOLUTE_HOURS * 3_600_000,
              now: clock(),
            })
          ).token,
      };
    },
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise((r) => server!.close(r));
      }
      await instance.stop?.();
      await rbac?.stop?.();
      await real.stop();
      await access.stop();
      await redis.close();
      await testDb.close();
    },
  };
}

/** The Cookie header for a session on a plain-http install. */
export const cookie = (token: string, secure = false) =>
  `${secure ? '__Host-airlock_session' : 'airlock_session'}=${token}`;
