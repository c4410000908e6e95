// The audit module on a fresh test database and the shared test Redis (on a stream of its
// own, so no other suite's events land here), plus helpers to create orgs, members and
// API tokens directly in the database.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  createAccess,
  baseConfigSchema,
  createApp,
  createAuditPublisher,
  createMetrics,
  openRedis,
  parseKeyring,
  sha256Hex,
  type AuditEvent,
  type AuditEventInput,
  type AuditPublisher,
  type ModuleInstance,
  type Role,
} from '@airlock/common';
import { openTestDb, testEnv } from '@airlock/common/testing';
import type { Express, Router } from 'express';
import { auditConfig } from '../src/config.js';
import { createAuditModule } from '../src/module.js';
import { appendEvents } from '../src/store/events.js';
import { captureLogger, makeEvent } from './helpers.js';

export interface Member {
  id: string;
  email: string;
  /** An API token of this member: send as `Authorization: Bearer <token>`. */
  token: string;
}

export interface Fixture {
  app: Express;
  /** The module's own router (for walking its routes). */
  router: Router;
  db: Awaited<ReturnType<typeof openTestDb>>['db'];
  /** Superuser connection (RLS bypassed): for tampering and assertions only. */
  admin: pg.Client;
  published: AuditEventInput[];
  logs(): string;
  org(): Promise<string>;
  member(orgId: string, role: Role): Promise<Member>;
  /** A break-glass platform admin's org-less session: the cookie header to send. */
  platformAdmin(): Promise<string>;
  /** Stores events directly (no stream), in order; returns them. */
  seed(orgId: string, count: number, overrides?: (i: number) => Partial<AuditEvent>): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const testDb = await openTestDb();
  const { db } = testDb;
  const redis = openRedis({ url: testEnv.redisUrlOrStandIn, nodeEnv: 'test', commandTimeoutMs: 2_000 });
  const log = captureLogger();
  const metrics = createMetrics('audit-test');
  const stream = `test:audit:${randomUUID()}`;
  const real = createAuditPublisher({ redis: redis.client, logger: log.logger, metrics, stream });
  const published: AuditEventInput[] = [];
  const audit: AuditPublisher = {
    ...real,
    publish(event) {
      published.push(event as AuditEventInput);
      return real.publish(event);
    },
  };
  const config = baseConfigSchema.parse({ NODE_ENV: 'test' });
  const clock = () => new Date();
  const access = createAccess({ db, redis, logger: log.logger, clock, publicUrl: config.AIRLOCK_PUBLIC_URL });
  await access.start();
  const instance: ModuleInstance = await createAuditModule({ stream, blockMs: 200 }).init({
    config,
    logger: log.logger,
    db,
    redis,
    metrics,
    keyring: parseKeyring(randomBytes(32).toString('base64')),
    audit,
    access,
    clock,
    moduleConfig: auditConfig(),
  });
  await instance.start?.();
  const app = createApp({
    logger: log.logger,
    metrics,
    readiness: { phase: 'serving', checks: [] },
    routers: [instance.router],
    corsOrigins: [],
    trustedProxies: [],
    bodyLimit: '64kb',
    serveMetrics: false,
  });
  const admin = new pg.Client({ connectionString: testDb.database.adminUrl });
  await admin.connect();

  return {
    app,
    router: instance.router,
    db,
    admin,
    published,
    logs: log.text,
    async org() {
      const slug = `org-${randomUUID().slice(0, 8)}`;
      return (await db.system.org.create({ data: { slug, name: slug, allowedEmailDomains: [] } })).id;
    },
    async member(orgId, role) {
      const email = `u-${randomUUID().slice(0, 8)}@example.com`;
      const user = await db.prisma.user.create({ data: { email, name: email } });
      await db.system.membership.create({ data: { orgId, userId: user.id, role } });
      const token = `al_${randomBytes(24).toString('hex')}`;
      await db.system.apiToken.create({
        data: {
          orgId,
          userId: user.id,
          name: 'test',
          prefix: token.slice(0, 8),
          tokenHash: sha256Hex(token),
        },
      });
      return { id: user.id, email, token };
    },
    async platformAdmin() {
      const email = `admin-${randomUUID().slice(0, 8)}@example.com`;
      const user = await db.prisma.user.create({ data: { email, name: email, isPlatformAdmin: true } });
      const secret = randomBytes(24).toString('hex');
      const hour = 3_600_000;
      await db.system.session.create({
        data: {
          tokenHash: sha256Hex(secret),
          userId: user.id,
          orgId: null,
          idleExpiresAt: new Date(Date.now() + hour),
          absoluteExpiresAt: new Date(Date.now() + 8 * hour),
        },
      });
      return `airlock_session=${secret}`;
    },
    async seed(orgId, count, overrides = () => ({})) {
      const events = Array.from({ length: count }, (_, i) => makeEvent({ orgId, ...overrides(i) }));
      for (let i = 0; i < events.length; i += 1_000) await appendEvents(db, events.slice(i, i + 1_000));
      return events;
    },
    async close() {
      await instance.stop?.();
      await real.stop();
      await access.stop();
      await admin.end();
      await redis.close();
      await testDb.close();
    },
  };
}
