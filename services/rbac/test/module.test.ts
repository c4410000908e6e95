import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, runModules, type RunningServer } from '@airlock/common';
import { createTestDatabase, serverEnv, type TestDatabase } from '@airlock/common/testing';
import { randomBytes } from 'node:crypto';
import { rbacModule } from '../src/module.js';

const TOKEN = randomBytes(32).toString('base64url');

const env = (database: TestDatabase, extra: Record<string, string>) => serverEnv(database, extra);

describe('the rbac module', () => {
  let database: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await runModules({
      modules: [rbacModule],
      service: 'rbac',
      logger: createLogger({ level: 'silent', service: 'rbac' }),
      env: env(database, { AIRLOCK_BOOTSTRAP_TOKEN: TOKEN }),
    });
  });
  afterAll(async () => {
    await server?.shutdown();
    await database?.drop();
  });

  it('runs from its config slice: the bootstrap token creates an org', async () => {
    const res = await fetch(`${server.url}/api/v1/orgs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'first', name: 'First' }),
    });
    expect(res.status).toBe(201);
  });

  it('asks for credentials on every route prefix it owns', async () => {
    for (const path of ['/api/v1/orgs', '/api/v1/members', '/api/v1/policy', '/api/v1/policy/versions']) {
      const res = await fetch(`${server.url}${path}`);
      expect([path, res.status]).toEqual([path, 401]);
    }
  });

  it('refuses to start with a bootstrap token under 32 characters, naming the setting', async () => {
    const db2 = await createTestDatabase();
    try {
      await expect(
        runModules({
          modules: [rbacModule],
          service: 'rbac',
          logger: createLogger({ level: 'silent', service: 'rbac' }),
          env: env(db2, { AIRLOCK_BOOTSTRAP_TOKEN: 'too-short' }),
        }),
      ).rejects.toThrow(/AIRLOCK_BOOTSTRAP_TOKEN/);
    } finally {
      await db2.drop();
    }
  });
});
