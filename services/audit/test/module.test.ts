// All-in-one mode: embedded PGlite and the in-memory Redis stand-in (no consumer groups
// there): published events still reach the trail and verify.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AUDIT_LEGACY_STREAM, runModules, type RunningServer } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { verifyChain } from '../src/domain/verify.js';
import { createAuditModule } from '../src/module.js';
import { chainRows, chainStart } from '../src/store/events.js';
import { makeEvent, silentLogger } from './helpers.js';

/**
 * The audit module alone on the embedded stand-ins, in a data folder of its own: started
 * before the describe's tests, stopped after. The getter gives the running server.
 */
function auditServer(env: Record<string, string> = {}): () => RunningServer {
  let dir: string | undefined;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'airlock-audit-'));
    server = await runModules({
      modules: [createAuditModule({ blockMs: 50 })],
      service: 'audit',
      logger: silentLogger,
      env: {
        NODE_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        AIRLOCK_DATA_DIR: dir,
        AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ...env,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => server!;
}

describe('audit module with the embedded stand-ins', () => {
  const server = auditServer();

  it('is ready and stores what the process publishes, chained', async () => {
    expect(server().runtime.db.kind).toBe('pglite');
    expect(server().runtime.redis.kind).toBe('memory');
    expect((await fetch(`${server().url}/readyz`)).status).toBe(200);
    const orgId = randomUUID();
    for (let i = 0; i < 25; i++) {
      server().runtime.audit.publish({
        action: 'policy.updated',
        orgId,
        actor: { type: 'user', id: `u${i}`, email: null },
        outcome: 'success',
        details: { version: i + 1 },
      });
    }
    const count = async () =>
      (await server().runtime.db.inOrg(orgId, (tx) => tx.auditEvent.count({ where: { orgId } }))) as number;
    await waitFor(async () => (await count()) === 25, 20_000);
    const result = await verifyChain(
      await chainStart(server().runtime.db, orgId),
      chainRows(server().runtime.db, orgId),
    );
    expect(result).toMatchObject({ ok: true, checked: 25 });
  }, 30_000);

  it('also stores what an older replica writes to the old stream, one event per entry', async () => {
    const orgId = randomUUID();
    const events = Array.from({ length: 3 }, () => makeEvent({ orgId }));
    for (const e of events) {
      await server().runtime.redis.client.xadd(AUDIT_LEGACY_STREAM, '*', 'event', JSON.stringify(e));
    }
    const ids = async () =>
      (await server().runtime.db.inOrg(orgId, (tx) =>
        tx.auditEvent.findMany({ where: { orgId }, orderBy: { seq: 'asc' }, select: { id: true } }),
      )) as { id: string }[];
    await waitFor(async () => (await ids()).length === 3, 20_000);
    expect((await ids()).map((r) => r.id)).toEqual(events.map((e) => e.id));
  });

  it('reads the old stream too by default: its consumer is among the readiness checks', async () => {
    const body = (await (await fetch(`${server().url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(Object.keys(body.checks)).toEqual(
      expect.arrayContaining(['audit-consumer', 'audit-consumer-legacy']),
    );
  });
});

describe('audit module with the old stream turned off', () => {
  const server = auditServer({ AIRLOCK_AUDIT_READ_LEGACY_STREAM: 'false' });

  it('runs no consumer on airlock:audit:events', async () => {
    const res = await fetch(`${server().url}/readyz`);
    const body = (await res.json()) as { checks: Record<string, string> };
    expect(res.status).toBe(200);
    expect(body.checks['audit-consumer']).toBe('ok');
    expect(body.checks).not.toHaveProperty('audit-consumer-legacy');
  });
});
