import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createAuditPublisher, openRedis, type RedisHandle } from '@airlock/common';
import { captureLogger, openTestDb, testEnv, waitFor } from '@airlock/common/testing';
import { createAuditConsumer, type AuditConsumer } from '../../src/ingest/consumer.js';
import { createStreamSource, type SourceOptions } from '../../src/ingest/stream-source.js';
import { verifyChain } from '../../src/domain/verify.js';
import { appendEvents, chainRows, chainStart } from '../../src/store/events.js';
import { makeEvent, silentLogger } from '../helpers.js';

describe('audit stream consumer', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let redis: RedisHandle;
  let admin: pg.Client;
  const running: AuditConsumer[] = [];

  beforeAll(async () => {
    t = await openTestDb();
    redis = openRedis({ url: testEnv.redisUrlOrStandIn, nodeEnv: 'test', commandTimeoutMs: 2_000 });
    admin = new pg.Client({ connectionString: t.database.adminUrl });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await admin?.end();
    await redis?.close();
    await t?.close();
  });

  function streams() {
    const id = randomUUID();
    return { stream: `test:audit:${id}`, deadLetterStream: `test:audit-dead:${id}` };
  }

  function startConsumer(source: Partial<SourceOptions> & { stream: string }, logger = silentLogger) {
    const consumer = createAuditConsumer({
      source: createStreamSource(redis, {
        consumer: 'c1',
        batchSize: 100,
        blockMs: 200,
        claimIdleMs: 60_000,
        claimEveryMs: 60_000,
        ...source,
      }),
      db: t.db,
      logger,
      metrics: new Registry(),
      retryMs: 50,
    });
    running.push(consumer);
    return consumer;
  }

  const countRows = async (orgId: string) =>
    Number((await admin.query('SELECT count(*) FROM audit_events WHERE org_id = $1', [orgId])).rows[0].count);
  const pendingCount = async (stream: string) =>
    Number(((await redis.client.xpending(stream, 'airlock-audit')) as [number])[0]);
  const verifies = async (orgId: string) =>
    (await verifyChain(await chainStart(t.db, orgId), chainRows(t.db, orgId))).ok;

  it('stores published events in order and acknowledges them only once stored', async () => {
    const { stream } = streams();
    const publisher = createAuditPublisher({
      redis: redis.client,
      logger: silentLogger,
      metrics: new Registry(),
      stream,
    });
    const orgId = randomUUID();
    const consumer = startConsumer({ stream, trimEveryMs: 0 });
    await consumer.start();
    const ids = Array.from(
      { length: 250 },
      (_, i) =>
        publisher.publish({
          action: 'token.created',
          orgId,
          actor: { type: 'user', id: randomUUID(), email: `u${i}@example.com` },
          outcome: 'success',
          details: {},
          target: { type: 'api_token', id: `tok-${i}` },
        }).id,
    );
    await publisher.flush();
    await waitFor(async () => (await countRows(orgId)) === 250);
    await waitFor(async () => (await pendingCount(stream)) === 0);
    const { rows } = await admin.query('SELECT id::text FROM audit_events WHERE org_id = $1 ORDER BY seq', [
      orgId,
    ]);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(await verifies(orgId)).toBe(true);
    await expect(consumer.readiness.check()).resolves.toBeUndefined();
    // Acknowledged entries are trimmed from the stream.
    await waitFor(async () => (await redis.client.xlen(stream)) === 0);
    await publisher.stop();
  }, 30_000);

  it('dead-letters an invalid event without its content, stores the valid ones around it', async () => {
    const { stream, deadLetterStream } = streams();
    const orgId = randomUUID();
    const canary = `CANARY-${randomUUID()}`;
    const good = [makeEvent({ orgId }), makeEvent({ orgId })];
    const bad = { ...makeEvent({ orgId }), details: { model: 'm', prompt: canary } };
    const unknownKey = { ...makeEvent({ orgId }), details: { ...makeEvent().details, [canary]: canary } };
    const badIds = [
      await redis.client.xadd(stream, '*', 'event', JSON.stringify(good[0])),
      await redis.client.xadd(stream, '*', 'event', JSON.stringify(bad)),
      await redis.client.xadd(stream, '*', 'event', JSON.stringify(unknownKey)),
      await redis.client.xadd(stream, '*', 'event', `{"messages":"${canary}"`),
      await redis.client.xadd(stream, '*', 'event', JSON.stringify(good[1])),
    ].filter((_, i) => i >= 1 && i <= 3);
    const log = captureLogger();
    await startConsumer({ stream, deadLetterStream }, log.logger).start();
    await waitFor(async () => (await countRows(orgId)) === 2);
    await waitFor(async () => (await redis.client.xlen(deadLetterStream)) === 3);
    await waitFor(async () => (await pendingCount(stream)) === 0);

    const letters = (await redis.client.xrange(deadLetterStream, '-', '+')).map(([, f]) => f);
    expect(letters.map((f) => f[1])).toEqual(badIds);
    expect(letters[0]).toEqual([
      'streamId',
      badIds[0],
      'eventId',
      bad.id,
      'problems',
      '["details.prompt"]',
      'stream',
      stream,
    ]);
    expect(letters[1]![5]).toBe('["details"]');
    expect(letters[2]![5]).toBe('["(event): not JSON"]');
    expect(JSON.stringify(letters)).not.toContain(canary);
    expect(log.text()).toContain('invalid audit event dead-lettered');
    expect(log.text()).not.toContain(canary);
    const dump = await admin.query('SELECT row_to_json(e)::text AS j FROM audit_events e');
    expect(dump.rows.map((r) => r.j).join('\n')).not.toContain(canary);
  });

  // Batched entries (field `events`), as publishers write them now, beside single-event
  // entries (field `event`), as an older replica still does during an upgrade.
  const addBatch = (stream: string, events: unknown[]) =>
    redis.client.xadd(stream, '*', 'n', String(events.length), 'events', JSON.stringify(events));
  const addSingle = (stream: string, event: unknown) =>
    redis.client.xadd(stream, '*', 'event', JSON.stringify(event));

  it('stores batched and single-event entries alike, in stream order, and acknowledges both', async () => {
    const { stream } = streams();
    const orgId = randomUUID();
    const events = Array.from({ length: 10 }, () => makeEvent({ orgId }));
    await addBatch(stream, events.slice(0, 3));
    await addSingle(stream, events[3]);
    await addBatch(stream, events.slice(4, 9));
    await addSingle(stream, events[9]);
    await startConsumer({ stream, trimEveryMs: 0 }).start();
    await waitFor(async () => (await countRows(orgId)) === 10);
    await waitFor(async () => (await pendingCount(stream)) === 0);
    const { rows } = await admin.query('SELECT id::text FROM audit_events WHERE org_id = $1 ORDER BY seq', [
      orgId,
    ]);
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(await verifies(orgId)).toBe(true);
    await waitFor(async () => (await redis.client.xlen(stream)) === 0);
  });

  it('dead-letters the invalid events of a batch one by one and stores their neighbours', async () => {
    const { stream, deadLetterStream } = streams();
    const orgId = randomUUID();
    const canary = `CANARY-${randomUUID()}`;
    const good = [makeEvent({ orgId }), makeEvent({ orgId }), makeEvent({ orgId })];
    const bad = { ...makeEvent({ orgId }), details: { model: 'm', prompt: canary } };
    const unknownKey = { ...makeEvent({ orgId }), details: { ...makeEvent().details, [canary]: canary } };
    const batchId = await addBatch(stream, [good[0], bad, good[1], unknownKey, canary, good[2]]);
    const notJson = await redis.client.xadd(stream, '*', 'n', '2', 'events', `[{"messages":"${canary}"`);
    const notArray = await redis.client.xadd(stream, '*', 'n', '1', 'events', JSON.stringify(good[0]));
    const log = captureLogger();
    await startConsumer({ stream, deadLetterStream }, log.logger).start();
    await waitFor(async () => (await countRows(orgId)) === 3);
    await waitFor(async () => (await redis.client.xlen(deadLetterStream)) === 5);
    await waitFor(async () => (await pendingCount(stream)) === 0);

    const letters = (await redis.client.xrange(deadLetterStream, '-', '+')).map(([, f]) => f);
    expect(letters).toEqual([
      [
        'streamId',
        batchId,
        'eventId',
        bad.id,
        'problems',
        '["details.prompt"]',
        'index',
        '1',
        'stream',
        stream,
      ],
      [
        'streamId',
        batchId,
        'eventId',
        unknownKey.id,
        'problems',
        '["details"]',
        'index',
        '3',
        'stream',
        stream,
      ],
      ['streamId', batchId, 'eventId', '', 'problems', '["<key>"]', 'index', '4', 'stream', stream], // a string, not an event
      ['streamId', notJson, 'eventId', '', 'problems', '["(events): not JSON"]', 'stream', stream],
      ['streamId', notArray, 'eventId', '', 'problems', '["(events): not an array"]', 'stream', stream],
    ]);
    expect(JSON.stringify(letters)).not.toContain(canary);
    expect(log.text()).toContain('invalid audit event dead-lettered');
    expect(log.text()).not.toContain(canary);
    const { rows } = await admin.query('SELECT id::text FROM audit_events WHERE org_id = $1 ORDER BY seq', [
      orgId,
    ]);
    expect(rows.map((r) => r.id)).toEqual(good.map((e) => e.id));
    const dump = await admin.query('SELECT row_to_json(e)::text AS j FROM audit_events e');
    expect(dump.rows.map((r) => r.j).join('\n')).not.toContain(canary);
  });

  it('skips the part of a batch stored before a crash, and stores the rest once', async () => {
    const { stream } = streams();
    const orgId = randomUUID();
    const events = Array.from({ length: 8 }, () => makeEvent({ orgId }));
    await appendEvents(t.db, events.slice(0, 3)); // committed, then the process died before XACK
    await addBatch(stream, events.slice(0, 5));
    await addBatch(stream, events.slice(5));
    await startConsumer({ stream }).start();
    await waitFor(
      async () => (await pendingCount(stream).catch(() => -1)) === 0 && (await countRows(orgId)) === 8,
    );
    const { rows } = await admin.query('SELECT id::text FROM audit_events WHERE org_id = $1 ORDER BY seq', [
      orgId,
    ]);
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(await verifies(orgId)).toBe(true);
  });

  it('reads about batchSize events at a time however many an entry holds', async () => {
    const { stream } = streams();
    const orgId = randomUUID();
    const events = Array.from({ length: 120 }, () => makeEvent({ orgId }));
    for (let i = 0; i < events.length; i += 30) await addBatch(stream, events.slice(i, i + 30));
    await redis.client.xgroup('CREATE', stream, 'airlock-audit', '0', 'MKSTREAM');
    const source = createStreamSource(redis, {
      stream,
      consumer: 'sizer',
      batchSize: 60,
      blockMs: 100,
      claimIdleMs: 60_000,
      claimEveryMs: 60_000,
    });
    try {
      // First read: batchSize / MAX_EVENTS_PER_ENTRY entries (1); then sized from what it saw.
      expect((await source.read()).length).toBe(1);
      expect((await source.read()).length).toBe(2);
      expect((await source.read()).length).toBe(1);
    } finally {
      await source.close();
    }
  });

  it('takes over the pending events of a consumer that died before acknowledging', async () => {
    const { stream } = streams();
    const orgId = randomUUID();
    const events = Array.from({ length: 30 }, () => makeEvent({ orgId }));
    for (const e of events) await redis.client.xadd(stream, '*', 'event', JSON.stringify(e));
    await redis.client.xgroup('CREATE', stream, 'airlock-audit', '0', 'MKSTREAM');
    // A consumer that read everything and then died: all 30 stay pending on it.
    await redis.client.xreadgroup('GROUP', 'airlock-audit', 'dead-one', 'COUNT', 100, 'STREAMS', stream, '>');
    expect(await pendingCount(stream)).toBe(30);
    await startConsumer({
      stream,
      consumer: 'survivor',
      claimIdleMs: 100,
      claimEveryMs: 100,
      batchSize: 7,
    }).start();
    await waitFor(async () => (await countRows(orgId)) === 30);
    await waitFor(async () => (await pendingCount(stream)) === 0);
    expect(await verifies(orgId)).toBe(true);
  });

  it('skips events redelivered after they were stored (crash between commit and ack)', async () => {
    const { stream } = streams();
    const orgId = randomUUID();
    const events = Array.from({ length: 10 }, () => makeEvent({ orgId }));
    await appendEvents(t.db, events.slice(0, 6));
    for (const e of events) await redis.client.xadd(stream, '*', 'event', JSON.stringify(e));
    await startConsumer({ stream }).start();
    await waitFor(
      async () => (await pendingCount(stream).catch(() => -1)) === 0 && (await countRows(orgId)) === 10,
    );
    expect(await countRows(orgId)).toBe(10);
    const { rows } = await admin.query(
      'SELECT e.id::text, e.seq::text FROM audit_events e WHERE e.org_id = $1 ORDER BY e.seq',
      [orgId],
    );
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(await verifies(orgId)).toBe(true);
  });

  it('is not ready before it runs or after it stops', async () => {
    const { stream } = streams();
    const consumer = startConsumer({ stream });
    await expect(consumer.readiness.check()).rejects.toThrow('not running');
    await consumer.start();
    await waitFor(async () => {
      await consumer.readiness.check();
      return true;
    });
    await consumer.stop();
    await expect(consumer.readiness.check()).rejects.toThrow('not running');
  });

  it('keeps the batch pending while the database is down and stores it once it is back', async () => {
    const { stream } = streams();
    const orgId = randomUUID();
    // Break writes for this org only: a trigger that fails the insert, removed later.
    await admin.query(`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger AS $$
      BEGIN IF NEW.org_id = '${orgId}' THEN RAISE EXCEPTION 'database unavailable'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await admin.query(
      'CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_fail_audit()',
    );
    try {
      const events = Array.from({ length: 5 }, () => makeEvent({ orgId }));
      for (const e of events) await redis.client.xadd(stream, '*', 'event', JSON.stringify(e));
      const log = captureLogger();
      const consumer = createAuditConsumer({
        source: createStreamSource(redis, {
          stream,
          consumer: 'c1',
          batchSize: 100,
          blockMs: 100,
          claimIdleMs: 60_000,
          claimEveryMs: 60_000,
        }),
        db: t.db,
        logger: log.logger,
        metrics: new Registry(),
        retryMs: 50,
        maxRetryMs: 100,
        isolateAfter: 1_000,
      });
      running.push(consumer);
      await consumer.start();
      await waitFor(() => log.text().includes('audit ingest failed; retrying'));
      expect(await pendingCount(stream)).toBe(5);
      expect(await countRows(orgId)).toBe(0);
      await admin.query('DROP TRIGGER test_fail_audit ON audit_events');
      await waitFor(async () => (await countRows(orgId)) === 5);
      await waitFor(async () => (await pendingCount(stream)) === 0);
      expect(await verifies(orgId)).toBe(true);
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS test_fail_audit ON audit_events');
    }
  });
});
