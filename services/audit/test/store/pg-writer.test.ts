import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDb } from '@airlock/common';
import { openTestDb } from '@airlock/common/testing';
import { GENESIS_HASH } from '../../src/domain/hash-chain.js';
import { verifyChain } from '../../src/domain/verify.js';
import { appendEvents, chainRows, chainStart } from '../../src/store/events.js';
import { distinctById } from '../../src/store/events.js';
import { eventWriterFor, pgEventWriter, splitByChain, type EventWriter } from '../../src/store/pg-writer.js';
import { makeEvent, silentLogger } from '../helpers.js';

// The fast ingest path: the same transaction as appendEvents, on a pg pool of its own,
// connected as the (non-superuser) application role, so row-level security applies.
describe('audit pg writer', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let writer: EventWriter;
  beforeAll(async () => {
    t = await openTestDb();
    writer = pgEventWriter({ url: t.database.url, logger: silentLogger });
  });
  afterAll(async () => {
    await writer?.close();
    await t?.close();
  });

  const collect = async (orgId: string | null) => {
    const rows = [];
    for await (const row of chainRows(t.db, orgId, 3)) rows.push(row);
    return rows;
  };
  const verify = async (orgId: string | null) =>
    verifyChain(await chainStart(t.db, orgId), toIterable(await collect(orgId)));

  it('appends to each chain from position 1, linked by hashes, the platform chain included', async () => {
    const org = randomUUID();
    const events = [
      makeEvent({ orgId: org }),
      makeEvent({
        orgId: null,
        action: 'auth.login_failed',
        details: { method: 'local', reason: 'account_locked' },
      }),
      makeEvent({ orgId: org }),
    ];
    await expect(writer.append(events)).resolves.toEqual({ inserted: 3, duplicates: 0 });
    const rows = await collect(org);
    expect(rows.map((r) => [r.id, r.seq])).toEqual([
      [events[0]!.id, '1'],
      [events[2]!.id, '2'],
    ]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[0]!.details).toEqual(events[0]!.details);
    expect(rows[1]!).toMatchObject({
      actor: events[2]!.actor,
      target: events[2]!.target,
      clientIp: events[2]!.clientIp,
      time: events[2]!.time,
    });
    expect(await verify(org)).toMatchObject({ ok: true, checked: 2 });
    expect((await collect(null)).some((r) => r.id === events[1]!.id)).toBe(true);
    expect((await verify(null)).ok).toBe(true);
  });

  it('skips events already stored, so a redelivery leaves no duplicate and no gap', async () => {
    const org = randomUUID();
    const first = [makeEvent({ orgId: org }), makeEvent({ orgId: org })];
    await writer.append(first);
    const next = makeEvent({ orgId: org });
    await expect(writer.append([...first, next, next])).resolves.toEqual({ inserted: 1, duplicates: 3 });
    expect((await collect(org)).map((r) => [r.id, r.seq])).toEqual([
      [first[0]!.id, '1'],
      [first[1]!.id, '2'],
      [next.id, '3'],
    ]);
    expect((await verify(org)).ok).toBe(true);
  });

  it('continues a chain written through Prisma, and writers on both paths never fork it', async () => {
    const org = randomUUID();
    await appendEvents(t.db, [makeEvent({ orgId: org })]);
    const batch = () => [1, 2, 3, 4, 5].map(() => makeEvent({ orgId: org }));
    await Promise.all([
      writer.append(batch()),
      appendEvents(t.db, batch()),
      writer.append(batch()),
      appendEvents(t.db, batch()),
    ]);
    const rows = await collect(org);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => String(i + 1)));
    expect(await verify(org)).toMatchObject({ ok: true, checked: 21 });
  });

  it('leaves no scope on its pooled connections: outside the batch transaction no audit row is visible', async () => {
    const org = randomUUID();
    await writer.append([makeEvent({ orgId: org })]);
    // Same role and database as the writer's pool; without a scope RLS shows nothing.
    const plain = new pg.Client({ connectionString: t.database.url });
    await plain.connect();
    try {
      const { rows } = await plain.query(
        `SELECT current_setting('airlock.system', true) AS system, count(*)::int AS n FROM audit_events`,
      );
      expect(rows[0]).toMatchObject({ n: 0 });
      expect(rows[0].system === null || rows[0].system === '').toBe(true);
    } finally {
      await plain.end();
    }
    const admin = new pg.Client({ connectionString: t.database.adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [
        org,
      ]);
      expect(rows[0].n).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('rolls the whole batch back when the database refuses a row', async () => {
    const org = randomUUID();
    const good = makeEvent({ orgId: org });
    // A string Postgres cannot store (NUL): ingest validation refuses it before the store;
    // here it stands for any row the database refuses mid-batch.
    const bad = makeEvent({ orgId: org, userAgent: 'a\u0000b' });
    await expect(writer.append([good, bad])).rejects.toThrow();
    expect(await collect(org)).toEqual([]);
    await expect(writer.append([good])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    expect((await collect(org)).map((r) => r.seq)).toEqual(['1']);
  });

  it('splits a batch into balanced groups of whole chains, each chain in its original order', () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const events = [a, b, a, null, a, c, b, a].map((orgId) => makeEvent({ orgId }));
    const groups = splitByChain(distinctById(events), 2);
    expect(groups).toHaveLength(2);
    const orgsOf = (g: Map<string, unknown>) =>
      new Set([...g.values()].map((e) => (e as { orgId: string | null }).orgId));
    // a (4 events) alone; b, c and the platform chain (4 together) in the other group.
    expect(groups.map((g) => g.size).sort()).toEqual([4, 4]);
    expect(orgsOf(groups[0]!)).not.toEqual(orgsOf(groups[1]!));
    for (const g of groups)
      for (const org of orgsOf(g))
        for (const other of groups) if (other !== g) expect(orgsOf(other).has(org)).toBe(false);
    const aGroup = groups.find((g) => orgsOf(g).has(a))!;
    expect([...aGroup.keys()]).toEqual(events.filter((e) => e.orgId === a).map((e) => e.id));
    expect(splitByChain(distinctById(events.slice(0, 1)), 4)).toHaveLength(1);
  });

  it('stores a batch over many chains in parallel transactions with every chain intact', async () => {
    const orgs = Array.from({ length: 7 }, () => randomUUID());
    const events = Array.from({ length: 140 }, (_, i) => makeEvent({ orgId: orgs[i % 7]! }));
    await expect(writer.append(events)).resolves.toEqual({ inserted: 140, duplicates: 0 });
    await expect(writer.append(events.slice(0, 30))).resolves.toEqual({ inserted: 0, duplicates: 30 });
    for (const org of orgs) {
      const rows = await collect(org);
      expect(rows.map((r) => r.id)).toEqual(events.filter((e) => e.orgId === org).map((e) => e.id));
      expect(await verify(org)).toMatchObject({ ok: true, checked: 20 });
    }
  });

  it('is chosen on Postgres with a URL; PGlite keeps the Prisma path', async () => {
    const pglite = await openDb({});
    try {
      const fast = eventWriterFor(t.db, t.database.url, silentLogger);
      expect(fast.kind).toBe('pg');
      await fast.close();
      expect(eventWriterFor(t.db, undefined, silentLogger).kind).toBe('prisma');
      const fallback = eventWriterFor(pglite, 'postgresql://unused@127.0.0.1:1/x', silentLogger);
      expect(fallback.kind).toBe('prisma');
      const org = randomUUID();
      await expect(fallback.append([makeEvent({ orgId: org })])).resolves.toEqual({
        inserted: 1,
        duplicates: 0,
      });
      await fallback.close();
    } finally {
      await pglite.close();
    }
    // An in-process PGlite boots a WASM Postgres and migrates it: seconds on a loaded 2-core CI box.
  }, 60_000);
});

async function* toIterable<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
