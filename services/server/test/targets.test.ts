import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, runModules, type RunningServer } from '@airlock/common';
import { createTestDatabase, serverEnv, type TestDatabase } from '@airlock/common/testing';
import { MODULES, modulesFor, TARGETS, type Target } from '../src/modules.js';

// The route map (shared/design/ARCHITECTURE.md). Every prefix belongs to exactly one module.
const ROUTE_MAP: Record<Exclude<Target, 'all'>, string[]> = {
  audit: ['/api/v1/audit', '/api/v1/audit-events'],
  gateway: ['/v1', '/api/v1/access'],
  identity: ['/auth', '/api/v1/me', '/api/v1/tokens', '/api/v1/sso', '/scim/v2', '/oauth', '/device'],
  rbac: ['/api/v1/orgs', '/api/v1/members', '/api/v1/policy'],
};

describe('module registry', () => {
  it('has one module per service, with the route map prefixes', () => {
    expect(Object.fromEntries(MODULES.map((m) => [m.name, [...m.routePrefixes]]))).toEqual(ROUTE_MAP);
  });

  it('lists targets sorted', () => {
    expect([...TARGETS]).toEqual([...TARGETS].sort());
  });

  it('makes all the union of every module, in start order', () => {
    expect(modulesFor('all').map((m) => m.name)).toEqual(['rbac', 'identity', 'gateway', 'audit']);
  });
});

const BOOTSTRAP_TOKEN = `boot_${randomBytes(32).toString('base64url')}`;

// Boots each target in turn (grafana/mimir's modules_test): a target serves its own
// prefixes and nothing of the others'.
describe.each(TARGETS)('target %s', (target) => {
  let database: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await runModules({
      modules: modulesFor(target),
      service: target,
      logger: createLogger({ level: 'silent', service: target }),
      env: { ...serverEnv(database), AIRLOCK_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
    });
  });
  afterAll(async () => {
    await server?.shutdown();
    await database?.drop();
  });

  it('is alive and ready', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('takes the bootstrap token on the platform routes of the modules it runs (rbac and identity)', async () => {
    const auth = { authorization: `Bearer ${BOOTSTRAP_TOKEN}` };
    const orgs = await fetch(`${server.url}/api/v1/orgs`, { headers: auth });
    const unknownOrg = '00000000-0000-4000-8000-000000000000';
    const scim = await fetch(`${server.url}/api/v1/sso/orgs/${unknownOrg}/scim-tokens`, { headers: auth });
    const scimBody = (await scim.json()) as { error: { code: string; message: string } };
    if (target === 'all' || target === 'rbac') expect(orgs.status).toBe(200);
    else expect(orgs.status).toBe(404);
    // Past the door: the org is looked up (identity), or the prefix is not served (404 either way,
    // never 401).
    expect(scim.status).toBe(404);
    if (target === 'all' || target === 'identity')
      expect(scimBody.error.message).toBe('no such organisation');
  });

  it.each(Object.entries(ROUTE_MAP))(
    'routes %s prefixes only when it runs that module',
    async (owner, prefixes) => {
      for (const prefix of prefixes) {
        const res = await fetch(`${server.url}${prefix}/probe`);
        const body = (await res.json()) as { error: { code: string; message: string } };
        const mine = target === 'all' || target === owner;
        // A running module answers its prefixes itself: 401 without credentials, or a 404
        // naming the module; the app's own 404 (no module) names none.
        if (mine) {
          if (body.error.code === 'not_found') expect(body.error.message).toMatch(new RegExp(`^${owner}: `));
        } else {
          expect(body.error.code).toBe('not_found');
          expect(body.error.message).toMatch(/^no route for /);
        }
      }
    },
  );
});
