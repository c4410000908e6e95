// The audit module on a fresh test database and the shared test Redis (on a stream of its
// own, so no other suite's events land here), built by the test kit, plus shortcuts to its
// orgs, members and seeded events.
import pg from 'pg';
import type { AuditEvent, AuditEventInput, Role } from '@airlock/common';
import {
  addMember,
  buildModuleApp,
  createApiToken,
  createOrg,
  createPlatformAdmin,
  openTestDb,
  testDeps,
} from '@airlock/common/testing';
import type { Express, Router } from 'express';
import { createAuditModule } from '../src/module.js';
import { appendEvents } from '../src/store/events.js';
import { makeEvent } from './helpers.js';

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
  const deps = testDeps(db, { service: 'audit-test' });
  const module = await buildModuleApp(createAuditModule({ stream: deps.auditStream, blockMs: 200 }), deps);
  const admin = new pg.Client({ connectionString: testDb.database.adminUrl });
  await admin.connect();

  return {
    app: module.app,
    router: module.instances[0]!.router,
    db,
    admin,
    published: deps.published,
    logs: deps.log.text,
    async org() {
      return (await createOrg(db)).id;
    },
    async member(orgId, role) {
      const member = await addMember(db, orgId, role);
      const { token } = await createApiToken(db, member);
      return { id: member.userId, email: member.email, token };
    },
    async platformAdmin() {
      return (await createPlatformAdmin(db)).cookie;
    },
    async seed(orgId, count, overrides = () => ({})) {
      const events = Array.from({ length: count }, (_, i) => makeEvent({ orgId, ...overrides(i) }));
      for (let i = 0; i < events.length; i += 1_000) await appendEvents(db, events.slice(i, i + 1_000));
      return events;
    },
    async close() {
      await module.close();
      await deps.close();
      await admin.end();
      await testDb.close();
    },
  };
}
