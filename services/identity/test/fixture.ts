// Builds the identity module on a fresh test database and the shared test Redis, with a
// clock the test moves, plus helpers to create orgs, users and sessions.
import { randomUUID } from 'node:crypto';
import type { AuditEventInput, ModuleInstance, Role } from '@airlock/common';
import {
  addMember,
  buildModuleApp,
  createOrg,
  createSession,
  createUser,
  freePort,
  openTestDb,
  testDeps,
} from '@airlock/common/testing';
import type { Express } from 'express';
import { rbacConfig, rbacModule } from '@airlock/rbac';
import { identityConfig, type IdentityConfig } from '../src/config.js';
import type { IdentityContext } from '../src/context.js';
import { identityContext, identityModule } from '../src/module.js';

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
  const deps = testDeps(db, {
    service: 'identity-test',
    redisUrl: options.redisUrl,
    env: {
      AIRLOCK_PUBLIC_URL: publicUrl,
      AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '500',
      AIRLOCK_TRUSTED_PROXIES: options.trustProxy ? 'loopback' : undefined,
    },
  });
  const moduleConfig = identityConfig({
    // Suites run in parallel from one IP: the SSO start throttle is tested on its own.
    AIRLOCK_SSO_LOGIN_IP_LIMIT: 100_000,
    AIRLOCK_LOGIN_FAILED_AUDIT_PER_ADDRESS: 100_000,
    AIRLOCK_LOGIN_FAILED_AUDIT_PER_ORG: 1_000_000,
    // One bootstrap token for rbac's and identity's platform routes, as in a deployment.
    AIRLOCK_BOOTSTRAP_TOKEN: options.rbacBootstrapToken,
    ...options.settings,
  });
  const rbac = options.rbacBootstrapToken
    ? rbacConfig({ AIRLOCK_BOOTSTRAP_TOKEN: options.rbacBootstrapToken })
    : undefined;
  const module = await buildModuleApp(rbac ? [rbacModule, identityModule] : identityModule, deps, {
    moduleConfig: { identity: moduleConfig, ...(rbac ? { rbac } : {}) },
    listen: options.listen ? { port } : undefined,
  });
  // A second context on the same deps, for domain-level calls in tests (its resolver only
  // publishes; the module's own resolver is the one serving requests).
  const ctx = identityContext({ ...deps, moduleConfig });

  return {
    app: module.app,
    url: publicUrl,
    ctx,
    instance: module.instances.at(-1)!,
    advance: deps.advance,
    now: deps.clock,
    events: deps.published,
    logs: deps.log.text,
    async org(slug, allowedEmailDomains) {
      const row = await createOrg(db, { slug, allowedEmailDomains });
      return { id: row.id, slug: row.slug };
    },
    async user(orgId, role = 'member', extra = {}) {
      const email = `u-${randomUUID().slice(0, 8)}@example.com`;
      const person = { email, name: email, platformAdmin: extra.isPlatformAdmin };
      const userId = orgId
        ? (await addMember(db, orgId, role, person)).userId
        : (await createUser(db, person)).id;
      return {
        id: userId,
        email,
        orgId,
        session: async () =>
          (
            await createSession(
              db,
              { userId, orgId },
              {
                idleMs: moduleConfig.AIRLOCK_SESSION_IDLE_MINUTES * 60_000,
                absoluteMs: moduleConfig.AIRLOCK_SESSION_ABSOLUTE_HOURS * 3_600_000,
                now: deps.clock(),
              },
            )
          ).token,
      };
    },
    async close() {
      await module.close();
      await deps.close();
      await testDb.close();
    },
  };
}

/** The Cookie header for a session on a plain-http install (secure: the __Host- name). */
export { sessionCookie as cookie } from '@airlock/common/testing';
