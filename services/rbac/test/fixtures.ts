// Builds the rbac module on a fresh database and the shared Redis, and makes principals the
// way identity will: users, memberships, sessions and API tokens written straight to the
// tables, with only the SHA-256 of each secret stored.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  createAccess,
  createApp,
  createAuditPublisher,
  createLogger,
  createMetrics,
  generateToken,
  loadBaseConfig,
  openRedis,
  parseKeyring,
  sha256Hex,
  type AuditEvent,
  type Db,
  type Keyring,
  type RedisHandle,
  type Role,
} from '@airlock/common';
import { openTestDb, testEnv } from '@airlock/common/testing';
import type { Express } from 'express';
import { createRbac, type Rbac } from '../src/app.js';
import { rbacConfig, type RbacConfig } from '../src/config.js';

export const BOOTSTRAP_TOKEN = `boot_${randomBytes(32).toString('base64url')}`;

export interface RbacHarness {
  app: Express;
  db: Db;
  redis: RedisHandle;
  rbac: Rbac;
  keyring: Keyring;
  /** Every log line written so far (debug and up), to prove secrets never reach them. */
  logs(): string;
  /** Audit events this harness published, oldest first. */
  auditEvents(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function startRbac(
  options: { config?: Partial<RbacConfig>; trustedProxies?: string[]; redisUrl?: string } = {},
): Promise<RbacHarness> {
  const { db, close: closeDb } = await openTestDb();
  const redis = openRedis({
    url: options.redisUrl ?? testEnv.redisUrl,
    nodeEnv: 'test',
    commandTimeoutMs: 2_000,
    onError: () => undefined, // tests that stop Redis expect reconnect errors
  });
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', service: 'rbac-test', destination });
  const metrics = createMetrics('rbac-test');
  const stream = `airlock:test:audit:${randomUUID()}`;
  const audit = createAuditPublisher({ redis: redis.client, logger, metrics, stream });
  const keyring = parseKeyring(randomBytes(32).toString('base64'));
  const config = loadBaseConfig({ NODE_ENV: 'test' });
  const clock = () => new Date();
  const access = createAccess({ db, redis, logger, clock, publicUrl: config.AIRLOCK_PUBLIC_URL });
  await access.start();
  const rbac = createRbac({
    config,
    logger,
    db,
    redis,
    metrics,
    keyring,
    audit,
    access,
    clock,
    moduleConfig: rbacConfig({ AIRLOCK_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, ...options.config }),
  });
  await rbac.start();
  const app = createApp({
    logger,
    metrics,
    readiness: { phase: 'serving', checks: [] },
    routers: [rbac.router],
    corsOrigins: [],
    trustedProxies: options.trustedProxies ?? [],
    bodyLimit: '1mb',
    serveMetrics: false,
  });
  return {
    app,
    db,
    redis,
    rbac,
    keyring,
    logs: () => chunks.join(''),
    async auditEvents() {
      await audit.flush();
      const entries = await redis.client.xrange(stream, '-', '+');
      return entries.map(([, fields]) => JSON.parse(fields[1]!) as AuditEvent);
    },
    async close() {
      await audit.stop();
      await rbac.stop();
      await access.stop();
      await redis.client.del(stream).catch(() => undefined);
      await redis.close();
      await closeDb();
    },
  };
}

export async function createOrg(
  db: Db,
  slug = `org-${randomUUID().slice(0, 8)}`,
  allowedEmailDomains: string[] = [],
) {
  return db.system.org.create({ data: { slug, name: slug, allowedEmailDomains } });
}

export async function createUser(db: Db, options: { email?: string; platformAdmin?: boolean } = {}) {
  return db.system.user.create({
    data: {
      email: options.email ?? `${randomUUID().slice(0, 8)}@example.com`,
      isPlatformAdmin: options.platformAdmin ?? false,
    },
  });
}

/** A session cookie value for `userId` (orgId null: a platform admin session). */
export async function sessionFor(db: Db, userId: string, orgId: string | null): Promise<string> {
  const token = generateToken('ses');
  const now = Date.now();
  await db.system.session.create({
    data: {
      tokenHash: sha256Hex(token),
      userId,
      orgId,
      idleExpiresAt: new Date(now + 3_600_000),
      absoluteExpiresAt: new Date(now + 7_200_000),
    },
  });
  return token;
}

/** An API token secret for `userId` in `orgId`. */
export async function apiTokenFor(db: Db, userId: string, orgId: string): Promise<string> {
  const token = generateToken('alk');
  await db.system.apiToken.create({
    data: { orgId, userId, name: 'test', prefix: token.slice(0, 8), tokenHash: sha256Hex(token) },
  });
  return token;
}

export interface Member {
  userId: string;
  email: string;
  role: Role;
  /** Cookie header for a session of this member in their org. */
  cookie: string;
  /** Authorization header with an API token of this member. */
  bearer: string;
}

/** A user with `role` in `orgId`, with a session and an API token. */
export async function createMember(db: Db, orgId: string, role: Role, email?: string): Promise<Member> {
  const user = await createUser(db, { email });
  await db.system.membership.create({ data: { orgId, userId: user.id, role } });
  return {
    userId: user.id,
    email: user.email,
    role,
    cookie: `airlock_session=${await sessionFor(db, user.id, orgId)}`,
    bearer: `Bearer ${await apiTokenFor(db, user.id, orgId)}`,
  };
}

/** A platform admin's break-glass session (no org). */
export async function createPlatformAdmin(db: Db): Promise<{ userId: string; cookie: string }> {
  const user = await createUser(db, { platformAdmin: true });
  return { userId: user.id, cookie: `airlock_session=${await sessionFor(db, user.id, null)}` };
}

/** A valid policy document that changes something visible. */
export function samplePolicy(overrides: Record<string, unknown> = {}) {
  return {
    privacyMode: 'normal',
    models: {
      allow: { owner: ['*'], admin: ['*'], member: ['llama-3.*'], viewer: [] },
      default: 'llama-3.1-8b',
    },
    upstreams: [
      {
        name: 'vllm',
        baseUrl: 'http://vllm.internal:8000/v1',
        kind: 'onprem',
        provider: 'vllm',
        models: ['llama-3.*'],
      },
    ],
    limits: {
      perRole: { member: { requestsPerMinute: 60 } },
      perUser: { requestsPerMinute: 30, tokensPerMinute: 10_000 },
    },
    ...overrides,
  };
}
