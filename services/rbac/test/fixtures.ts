// Builds the rbac module on a fresh database and the shared Redis with the test kit, and
// makes principals the way identity does (the kit's factories: only the SHA-256 of each
// secret stored).
import { randomBytes } from 'node:crypto';
import type {
  AuditEvent,
  Db,
  Keyring,
  PolicyReader,
  PrincipalResolver,
  RedisHandle,
  Role,
} from '@airlock/common';
import {
  addMember,
  buildModuleApp,
  createApiToken,
  createSession,
  openTestDb,
  testDeps,
} from '@airlock/common/testing';
import type { Express, Router } from 'express';
import { rbacConfig, type RbacConfig } from '../src/config.js';
import { rbacModule } from '../src/module.js';

export const BOOTSTRAP_TOKEN = `boot_${randomBytes(32).toString('base64url')}`;

/** The module's router, and the process's caches its tests drop by hand (deps.access). */
export interface Rbac {
  router: Router;
  resolver: PrincipalResolver;
  policyReader: PolicyReader;
}

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
  const deps = testDeps(db, {
    service: 'rbac-test',
    redisUrl: options.redisUrl,
    env: {
      AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '2000',
      AIRLOCK_TRUSTED_PROXIES: options.trustedProxies?.join(','),
    },
  });
  const module = await buildModuleApp(rbacModule, deps, {
    moduleConfig: { rbac: rbacConfig({ AIRLOCK_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, ...options.config }) },
  });
  const rbac: Rbac = {
    router: module.instances[0]!.router,
    resolver: deps.access.resolver,
    policyReader: deps.access.policies,
  };
  return {
    app: module.app,
    db,
    redis: deps.redis,
    rbac,
    keyring: deps.keyring,
    logs: deps.log.text,
    auditEvents: deps.auditEvents,
    async close() {
      await module.close();
      await deps.close();
      await closeDb();
    },
  };
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
  const member = await addMember(db, orgId, role, { email });
  return {
    userId: member.userId,
    email: member.email,
    role,
    cookie: (await createSession(db, member)).cookie,
    bearer: (await createApiToken(db, member)).bearer,
  };
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
