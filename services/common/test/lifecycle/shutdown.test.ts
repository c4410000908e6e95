import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runModules } from '../../src/lifecycle/run.js';
import { captureLogger } from '../../testing/logger.js';
import { createTestDatabase, serverEnv } from '../../testing/index.js';
import { slowModule } from './fixture-module.js';

async function start(events: string[], extra: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const server = await runModules({
    modules: [slowModule(events)],
    service: 'test',
    logger: captureLogger({ level: 'silent' }).logger,
    env: serverEnv(database, extra),
  });
  return { server, database };
}

/** Connections the app role holds to the suite's database. */
async function appConnections(adminUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  await client.end();
  return Number(rows[0]!.n);
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new connections, stops modules, closes the database', async () => {
    const events: string[] = [];
    const { server, database } = await start(events);
    expect(events).toEqual(['start']);
    await server.runtime.db.ping();
    expect(await appConnections(database.adminUrl, database.name)).toBeGreaterThan(0);
    const inFlight = fetch(`${server.url}/slow?ms=400`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await new Promise((r) => setTimeout(r, 50));
    const stopped = server.shutdown('test');
    expect(server.readiness.phase).toBe('draining');
    expect(await inFlight).toEqual({ status: 200, body: { done: true } });
    await stopped;
    expect(events).toEqual(['start', 'stop']);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(await appConnections(database.adminUrl, database.name)).toBe(0);
    await database.drop();
  });

  it('reports draining on /readyz during the shutdown delay', async () => {
    const { server, database } = await start([], { AIRLOCK_SHUTDOWN_DELAY_SECONDS: '1' });
    const stopped = server.shutdown('test');
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe('draining');
    await stopped;
    await database.drop();
  });

  it('cuts requests still running at the shutdown timeout', async () => {
    const { server, database } = await start([], { AIRLOCK_SHUTDOWN_TIMEOUT_SECONDS: '0.2' });
    const hung = fetch(`${server.url}/slow?ms=5000`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await server.shutdown('test');
    expect(await hung).toBe('cut');
    expect(Date.now() - t0).toBeLessThan(4_000);
    await database.drop();
  });
});

describe('internal port', () => {
  it('serves /metrics only on the internal port, probes on both', async () => {
    const { server, database } = await start([], { AIRLOCK_INTERNAL_PORT: '0' });
    try {
      expect(server.internalUrl).toBeDefined();
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      const metrics = await fetch(`${server.internalUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('airlock_http_request_duration_seconds');
      expect((await fetch(`${server.internalUrl}/readyz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.shutdown();
      await database.drop();
    }
  });
});
