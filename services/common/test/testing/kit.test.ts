// The test kit builds what production builds: a module mounted by buildModuleApp answers
// the kit's session cookies and API tokens through the process's access kit, reads its
// config slice like runModules does, and starts and stops like it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import request from 'supertest';
import { z } from 'zod';
import type { AirlockModule } from '../../src/lifecycle/module.js';
import {
  addMember,
  buildModuleApp,
  createApiToken,
  createOrg,
  createPlatformAdmin,
  createSession,
  openTestDb,
  testDeps,
  type ModuleApp,
  type TestDeps,
} from '../../testing/index.js';

const events: string[] = [];

/** Answers who the caller is, with its config slice's greeting. */
const whoamiModule: AirlockModule<{ GREETING: string }> = {
  name: 'audit',
  routePrefixes: ['/whoami'],
  configSchema: z.object({ GREETING: z.string().default('hello') }),
  init(deps) {
    const router = Router();
    router.get('/whoami', deps.access.authenticate(['session', 'api_token']), (req, res) => {
      deps.logger.info({ userId: req.principal!.userId }, 'whoami');
      const { kind, userId, orgId, role, isPlatformAdmin } = req.principal!;
      res.json({ greeting: deps.moduleConfig.GREETING, kind, userId, orgId, role, isPlatformAdmin });
    });
    return {
      router,
      start: async () => void events.push('start'),
      stop: async () => void events.push('stop'),
    };
  },
};

describe('the test kit', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let deps: TestDeps;
  let built: ModuleApp;

  beforeAll(async () => {
    t = await openTestDb();
    deps = testDeps(t.db, { env: { GREETING: 'from env' } });
    built = await buildModuleApp(whoamiModule, deps, { listen: { port: 0 } });
  });
  afterAll(async () => {
    await built?.close();
    await deps?.close();
    await t?.close();
  });

  it('gives a member a session cookie and an API token that the module authenticates', async () => {
    const org = await createOrg(t.db);
    const member = await addMember(t.db, org, 'admin');
    const { cookie } = await createSession(t.db, member);
    const { bearer, token } = await createApiToken(t.db, member);
    const bySession = await request(built.app).get('/whoami').set('cookie', cookie).expect(200);
    expect(bySession.body).toMatchObject({
      kind: 'session',
      userId: member.userId,
      orgId: org.id,
      role: 'admin',
    });
    const byToken = await request(built.app).get('/whoami').set('authorization', bearer).expect(200);
    expect(byToken.body).toMatchObject({ kind: 'api_token', userId: member.userId, orgId: org.id });
    await request(built.app).get('/whoami').expect(401);
    // The captured logger holds the request's line, and never the secrets.
    expect(deps.log.lines().some((l) => l.includes('whoami') && l.includes(member.userId))).toBe(true);
    expect(deps.log.text()).not.toContain(token);
    expect(deps.log.text()).not.toContain(cookie.split('=')[1]);
  });

  it('gives a platform admin an org-less session', async () => {
    const admin = await createPlatformAdmin(t.db);
    const res = await request(built.app).get('/whoami').set('cookie', admin.cookie).expect(200);
    expect(res.body).toMatchObject({ userId: admin.userId, orgId: null, isPlatformAdmin: true });
  });

  it('reads the module config slice from the env, unless moduleConfig gives it', async () => {
    expect((await fetch(`${built.url}/whoami`)).status).toBe(401);
    const org = await createOrg(t.db);
    const { cookie } = await createSession(t.db, await addMember(t.db, org, 'viewer'));
    const fromEnv = await fetch(`${built.url}/whoami`, { headers: { cookie } });
    expect(((await fromEnv.json()) as { greeting: string }).greeting).toBe('from env');
    const otherDeps = testDeps(t.db); // one app per deps, as one per process
    const other = await buildModuleApp(whoamiModule, otherDeps, {
      moduleConfig: { audit: { GREETING: 'given' } },
    });
    try {
      const res = await request(other.app).get('/whoami').set('cookie', cookie).expect(200);
      expect(res.body.greeting).toBe('given');
    } finally {
      await other.close();
      await otherDeps.close();
    }
  });

  it('serves /readyz once the modules started, stops them on close, and moves the clock', async () => {
    await request(built.app).get('/readyz').expect(200);
    expect(events.filter((e) => e === 'start').length).toBeGreaterThanOrEqual(1);
    const stops = events.filter((e) => e === 'stop').length;
    const extraDeps = testDeps(t.db);
    const extra = await buildModuleApp(whoamiModule, extraDeps);
    await extra.close();
    await extraDeps.close();
    expect(events.filter((e) => e === 'stop').length).toBe(stops + 1);
    const before = deps.clock().getTime();
    deps.advance(3_600_000);
    expect(deps.clock().getTime() - before).toBeGreaterThanOrEqual(3_600_000);
  });

  it('records every audit event published through the deps, and what reached its stream', async () => {
    deps.audit.publish({
      action: 'policy.updated',
      orgId: (await createOrg(t.db)).id,
      actor: { type: 'user', id: 'u1', email: null },
      outcome: 'success',
      details: { version: 2 },
    });
    expect(deps.published.map((e) => e.action)).toEqual(['policy.updated']);
    expect((await deps.auditEvents()).map((e) => e.action)).toEqual(['policy.updated']);
  });
});
