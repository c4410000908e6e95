import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openTestDb } from '@airlock/common/testing';
import { GENESIS_HASH } from '../../src/domain/hash-chain.js';
import { verifyChain } from '../../src/domain/verify.js';
import { appendEvents, chainRows, chainStart } from '../../src/store/events.js';
import { makeEvent } from '../helpers.js';

describe('audit event store', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => {
    await t?.close();
  });

  const collect = async (orgId: string | null) => {
    const rows = [];
    for await (const row of chainRows(t.db, orgId, 3)) rows.push(row);
    return rows;
  };

  it('appends events to each org chain from position 1, linked by hashes', async () => {
    const org = randomUUID();
    const events = [1, 2, 3, 4, 5].map(() => makeEvent({ orgId: org }));
    await expect(appendEvents(t.db, events)).resolves.toEqual({ inserted: 5, duplicates: 0 });
    const rows = await collect(org);
    expect(rows.map((r) => r.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[0]!.details).toEqual(events[0]!.details);
    const result = await verifyChain(await chainStart(t.db, org), toIterable(await collect(org)));
    expect(result).toMatchObject({ ok: true, checked: 5, firstBroken: null, head: { seq: '5' } });
  });

  it('skips events already stored, so a redelivery leaves no duplicate and no gap', async () => {
    const org = randomUUID();
    const first = [makeEvent({ orgId: org }), makeEvent({ orgId: org })];
    await appendEvents(t.db, first);
    const next = makeEvent({ orgId: org });
    await expect(appendEvents(t.db, [...first, next, next])).resolves.toEqual({ inserted: 1, duplicates: 3 });
    const rows = await collect(org);
    expect(rows.map((r) => [r.id, r.seq])).toEqual([
      [first[0]!.id, '1'],
      [first[1]!.id, '2'],
      [next.id, '3'],
    ]);
    expect((await verifyChain(await chainStart(t.db, org), toIterable(rows))).ok).toBe(true);
  });

  it('keeps a separate chain per org and one for platform events without an org', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const events = [
      makeEvent({ orgId: a }),
      makeEvent({ orgId: b }),
      makeEvent({
        orgId: null,
        action: 'auth.login_failed',
        details: { method: 'local', reason: 'invalid_credentials' },
      }),
      makeEvent({ orgId: a }),
      makeEvent({
        orgId: null,
        action: 'auth.login_failed',
        details: { method: 'local', reason: 'account_locked' },
      }),
    ];
    await appendEvents(t.db, events);
    expect((await collect(a)).map((r) => r.seq)).toEqual(['1', '2']);
    expect((await collect(b)).map((r) => r.seq)).toEqual(['1']);
    expect((await collect(null)).map((r) => r.seq)).toEqual(['1', '2']);
    for (const org of [a, b, null]) {
      expect((await verifyChain(await chainStart(t.db, org), toIterable(await collect(org)))).ok).toBe(true);
    }
  });

  it('serializes concurrent writers to the same org without forking the chain', async () => {
    const org = randomUUID();
    await Promise.all(
      [0, 1, 2, 3].map(() =>
        appendEvents(
          t.db,
          [1, 2, 3, 4, 5].map(() => makeEvent({ orgId: org })),
        ),
      ),
    );
    const rows = await collect(org);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    expect((await verifyChain(await chainStart(t.db, org), toIterable(rows))).ok).toBe(true);
  });

  it('refuses a second row at an existing chain position, even for the platform chain', async () => {
    const admin = new pg.Client({ connectionString: t.database.adminUrl });
    await admin.connect();
    try {
      const insert = `INSERT INTO audit_events (id, org_id, seq, time, actor_type, action, outcome, prev_hash, hash)
        VALUES ($1, NULL, 1, now(), 'system', 'org.created', 'success', 'x', 'y')`;
      await expect(admin.query(insert, [randomUUID()])).rejects.toThrow(/audit_events_org_id_seq_key/);
    } finally {
      await admin.end();
    }
  });
});

async function* toIterable<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
