import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, testEnv, waitFor } from '@airlock/common/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { createMember, samplePolicy, startRbac, type Member, type RbacHarness } from '../fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../..');

// The bound: a replica applies a policy change within 2 s. Typically a few ms.
const BOUND_MS = 2_000;

describe('policy distribution to other processes', () => {
  let h: RbacHarness;
  let orgId: string;
  let admin: Member;
  let watcher: ChildProcess;
  const seen: { version: number; at: number }[] = [];

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db)).id;
    admin = await createMember(h.db, orgId, 'admin');
    const databaseUrl = (await h.db.prisma.$queryRaw<{ db: string }[]>`SELECT current_database() AS db`)[0]!
      .db;
    const url = new URL(testEnv.adminUrl);
    url.pathname = `/${databaseUrl}`;
    url.username = testEnv.appRole;
    watcher = spawn(
      path.join(root, 'node_modules/.bin/tsx'),
      ['--conditions=@airlock/source', path.join(here, 'policy-watcher.ts')],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: url.toString(), REDIS_URL: testEnv.redisUrl, ORG_ID: orgId },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let buffer = '';
    watcher.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        seen.push(JSON.parse(buffer.slice(0, nl)) as { version: number; at: number });
        buffer = buffer.slice(nl + 1);
      }
    });
    await waitFor(() => seen.length > 0, 30_000);
  }, 40_000);
  afterAll(async () => {
    if (watcher.exitCode === null) {
      const exited = new Promise((r) => watcher.once('exit', r));
      watcher.kill('SIGTERM');
      await exited;
    }
    await h.close();
  });

  it('reaches a second process subscribed to Redis within 2 s, for a change and for a rollback', async () => {
    expect(seen[0]!.version).toBe(0);
    const delays: number[] = [];
    const start1 = Date.now();
    const put = await request(h.app)
      .put('/api/v1/policy')
      .set('Cookie', admin.cookie)
      .set('If-Match', '"0"')
      .send({ policy: samplePolicy() });
    expect(put.status).toBe(200);
    await waitFor(() => seen.some((s) => s.version === 1), 10_000);
    delays.push(seen.find((s) => s.version === 1)!.at - start1);

    const start2 = Date.now();
    const rollback = await request(h.app)
      .post('/api/v1/policy/rollback')
      .set('Cookie', admin.cookie)
      .send({ version: 1 });
    expect(rollback.status).toBe(201);
    await waitFor(() => seen.some((s) => s.version === 2), 10_000);
    delays.push(seen.find((s) => s.version === 2)!.at - start2);

    // Measured from just before the request was sent to the moment the other process saw it.
    process.stdout.write(`policy change seen by a second process after ${delays.join(' ms, ')} ms\n`);
    for (const delay of delays) expect(delay).toBeLessThan(BOUND_MS);
  }, 30_000);
});
