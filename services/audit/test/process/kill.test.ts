// The kill test: an audit process killed with SIGKILL in the middle of ingesting
// loses nothing and stores nothing twice once it is started again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { Registry } from 'prom-client';
import {
  AUDIT_STREAM,
  createAuditPublisher,
  openDb,
  openRedis,
  type Db,
  type RedisHandle,
} from '@airlock/common';
import {
  createTestDatabase,
  freePort,
  startRedis,
  waitFor,
  type ServerProcess,
  type TestDatabase,
} from '@airlock/common/testing';
import { verifyChain } from '../../src/domain/verify.js';
import { chainRows, chainStart } from '../../src/store/events.js';
import { silentLogger } from '../helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const N = 12_000;
const ORGS = Array.from({ length: 4 }, () => randomUUID());

describe('audit process killed mid-ingest', () => {
  let database: TestDatabase;
  let redisServer: ServerProcess;
  let redis: RedisHandle;
  let admin: pg.Client;
  let db: Db;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [database, redisServer] = await Promise.all([createTestDatabase(), startRedis()]);
    redis = openRedis({ url: redisServer.url, nodeEnv: 'test', commandTimeoutMs: 5_000 });
    admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    db = await openDb({ url: database.url, poolSize: 2 });
  });
  afterAll(async () => {
    for (const child of children) await killGroup(child, 'SIGKILL');
    await db?.close();
    await admin?.end();
    await redis?.close();
    await redisServer?.destroy();
    await database?.drop();
  });

  async function startAudit(): Promise<ChildProcess> {
    const port = await freePort();
    const child = spawn(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['--conditions=@airlock/source', 'services/server/src/main.ts', '--target=audit'],
      {
        cwd: ROOT,
        // Its own process group: tsx runs the server in a child node process, and SIGKILL
        // must reach that one too (a signal to tsx alone would leave the server running).
        detached: true,
        stdio: 'ignore',
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: database.url,
          REDIS_URL: redisServer.url,
          AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          LOG_LEVEL: 'warn',
        },
      },
    );
    children.push(child);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60_000);
    return child;
  }

  /** Signals the child's whole process group and waits until every process in it is gone. */
  async function killGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    const alive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (!alive()) return;
    process.kill(-child.pid!, signal);
    await waitFor(() => !alive(), 30_000);
  }

  const stored = async () => Number((await admin.query('SELECT count(*) FROM audit_events')).rows[0].count);

  it('stores exactly N events, each once, with every chain intact', async () => {
    const metrics = new Registry();
    const publisher = createAuditPublisher({
      redis: redis.client,
      logger: silentLogger,
      metrics,
      spoolLimit: N,
    });
    const first = await startAudit();
    // Publish in bursts while the first process ingests, and kill it part-way through. The
    // second half waits for the kill: however the machine schedules the two processes, the
    // first cannot have stored all N before it dies.
    let killed!: () => void;
    const firstKilled = new Promise<void>((r) => (killed = r));
    let published = 0;
    const publishing = (async () => {
      while (published < N) {
        if (published >= N / 2) await firstKilled;
        for (let i = 0; i < 500; i++, published++) {
          publisher.publish({
            action: 'ai.request',
            orgId: ORGS[published % ORGS.length]!,
            actor: { type: 'token', id: `tok-${published % 7}`, email: 'dev@example.com' },
            outcome: 'success',
            details: {
              model: 'llama-3-8b',
              endpoint: 'chat.completions',
              status: 200,
              stream: false,
              latencyMs: 5,
            },
          });
        }
        await publisher.flush();
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await waitFor(async () => (await stored()) >= N / 4, 60_000);
    await killGroup(first, 'SIGKILL');
    const atKill = await stored();
    killed();
    await publishing;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(N);
    // Every event reached the stream (the stream itself is trimmed as events are stored).
    expect(await publisher.flush()).toBe(0);
    const dropped = (await metrics.getSingleMetric('airlock_audit_events_dropped_total')?.get())?.values[0]
      ?.value;
    expect(dropped).toBe(0);

    const second = await startAudit();
    await waitFor(async () => (await stored()) >= N, 90_000);
    await waitFor(
      async () => Number(((await redis.client.xpending(AUDIT_STREAM, 'airlock-audit')) as [number])[0]) === 0,
      30_000,
    );
    await killGroup(second, 'SIGTERM');

    expect(await stored()).toBe(N);
    const perOrg = await admin.query(
      `SELECT org_id::text AS org, count(*)::int AS n, count(DISTINCT id)::int AS ids, min(seq)::int AS lo, max(seq)::int AS hi
         FROM audit_events GROUP BY org_id ORDER BY org_id`,
    );
    for (const row of perOrg.rows)
      expect(row).toMatchObject({ n: N / ORGS.length, ids: N / ORGS.length, lo: 1, hi: N / ORGS.length });
    for (const org of ORGS) {
      const result = await verifyChain(await chainStart(db, org), chainRows(db, org));
      expect(result).toMatchObject({ ok: true, checked: N / ORGS.length });
    }
    await publisher.stop();
  }, 240_000);
});
