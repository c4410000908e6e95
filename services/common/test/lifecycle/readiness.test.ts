import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migratePostgres } from '../../src/db/client.js';
import { runModules, type RunningServer } from '../../src/lifecycle/run.js';
import {
  createTestDatabase,
  serverEnv,
  startPostgres,
  startRedis,
  waitFor,
  type ServerProcess,
} from '../../testing/index.js';
import { captureLogger } from '../../testing/logger.js';
import { TEST_KEY } from '../helpers.js';
import { slowModule } from './fixture-module.js';

async function readyz(
  url: string,
): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${url}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; checks: Record<string, string> },
  };
}

// Own Postgres and Redis, so stopping them disturbs no other suite.
describe('/readyz follows the database and Redis', () => {
  let postgres: ServerProcess;
  let redis: ServerProcess;
  let server: RunningServer;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    // As a deployment does (the chart's migration Job): servers refuse an unmigrated database.
    await migratePostgres(postgres.url);
    server = await runModules({
      modules: [slowModule()],
      service: 'test',
      logger: captureLogger({ level: 'silent' }).logger,
      env: {
        NODE_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        AIRLOCK_ENCRYPTION_KEY: TEST_KEY,
        AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '200',
      },
    });
    await waitFor(async () => (await readyz(server.url)).status === 200); // Redis connects asynchronously
  }, 60_000);

  afterAll(async () => {
    await server?.shutdown();
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  });

  it('is 200 with both up', async () => {
    expect(await readyz(server.url)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: 'ok', redis: 'ok' } },
    });
  });

  it('turns 503 naming the database when Postgres stops, and 200 when it is back', async () => {
    await postgres.stop();
    const down = await readyz(server.url);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', checks: { database: 'unavailable', redis: 'ok' } });
    // /healthz stays 200: a database outage must not make Kubernetes restart every pod.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await postgres.start();
    await waitFor(async () => (await readyz(server.url)).status === 200, 20_000);
  }, 40_000);

  it('turns 503 naming Redis when Redis stops, and 200 when it is back', async () => {
    await redis.stop();
    const down = await readyz(server.url);
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ database: 'ok', redis: 'unavailable' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await redis.start();
    await waitFor(async () => (await readyz(server.url)).status === 200, 20_000);
  }, 40_000);
});

describe('start-up with Redis down', () => {
  it('serves /healthz and reports not ready until Redis comes', async () => {
    const database = await createTestDatabase();
    const server = await runModules({
      modules: [slowModule()],
      service: 'test',
      logger: captureLogger({ level: 'silent' }).logger,
      env: serverEnv(database, { REDIS_URL: 'redis://127.0.0.1:1', AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '200' }),
    });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const r = await readyz(server.url);
      expect(r.status).toBe(503);
      expect(r.body.checks.redis).toBe('unavailable');
    } finally {
      await server.shutdown();
      await database.drop();
    }
  });
});
