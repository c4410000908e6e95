import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runModules } from '../../src/lifecycle/run.js';
import { captureLogger } from '../../testing/logger.js';
import { createTestDatabase, serverEnv, waitFor } from '../../testing/index.js';
import { slowModule, slowRequests, type SlowRequests } from './fixture-module.js';

async function start(events: string[], extra: Record<string, string> = {}, requests = slowRequests()) {
  const database = await createTestDatabase();
  const server = await runModules({
    modules: [slowModule(events, requests)],
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

/** Waits until the request has reached the handler: only then is it "in flight". */
const inHandler = (requests: SlowRequests) => waitFor(() => requests.arrived === 1);

// Each test clones a database and starts a server: more than jest's 5 s default under load.
describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new connections, stops modules, closes the database', async () => {
    const events: string[] = [];
    const requests = slowRequests();
    const { server, database } = await start(events, {}, requests);
    expect(events).toEqual(['start']);
    await server.runtime.db.ping();
    expect(await appConnections(database.adminUrl, database.name)).toBeGreaterThan(0);
    // Held until released: in flight for as long as the shutdown takes, however loaded the machine.
    const inFlight = fetch(`${server.url}/slow?hold`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await inHandler(requests);
    const stopped = server.shutdown('test');
    expect(server.readiness.phase).toBe('draining');
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow(); // refused while draining
    expect(requests.answered).toBe(0);
    requests.release();
    expect(await inFlight).toEqual({ status: 200, body: { done: true } });
    await stopped;
    expect(events).toEqual(['start', 'stop']);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(await appConnections(database.adminUrl, database.name)).toBe(0);
    await database.drop();
  }, 30_000);

  it('reports draining on /readyz during the shutdown delay', async () => {
    const { server, database } = await start([], { AIRLOCK_SHUTDOWN_DELAY_SECONDS: '2' });
    // A warm keep-alive connection: the probe during the delay needs no new connection or
    // first-fetch set-up, only one request, well inside the delay.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const stopped = server.shutdown('test');
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe('draining');
    await stopped;
    await database.drop();
  }, 30_000);

  it('cuts requests still running at the shutdown timeout', async () => {
    const requests = slowRequests();
    const { server, database } = await start([], { AIRLOCK_SHUTDOWN_TIMEOUT_SECONDS: '0.2' }, requests);
    // Never answers on its own: a shutdown that waited for it would never return.
    const hung = fetch(`${server.url}/slow?hold`).then(
      () => 'answered',
      () => 'cut',
    );
    await inHandler(requests);
    await server.shutdown('test');
    expect(await hung).toBe('cut');
    expect(requests.answered).toBe(0); // shutdown returned without waiting for it
    requests.release();
    await database.drop();
  }, 30_000);
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
  }, 30_000);
});
