// ARCHITECTURE.md: prompt and completion text never reaches a database, a log line, Redis or
// an audit record. A unique canary goes through the publisher in every content-bearing shape,
// next to valid events that are ingested; then every table, every Redis key and every log
// line is searched for it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { AUDIT_STREAM, createAuditPublisher, openRedis, type RedisHandle } from '@airlock/common';
import { captureLogger, openTestDb, startRedis, waitFor, type ServerProcess } from '@airlock/common/testing';
import { createAuditConsumer } from '../../src/ingest/consumer.js';
import { createStreamSource } from '../../src/ingest/stream-source.js';

describe('a canary prompt sent through the audit pipeline', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let server: ServerProcess;
  let redis: RedisHandle;
  let admin: pg.Client;

  beforeAll(async () => {
    [t, server] = await Promise.all([openTestDb(), startRedis()]);
    redis = openRedis({ url: server.url, nodeEnv: 'test', commandTimeoutMs: 2_000 });
    admin = new pg.Client({ connectionString: t.database.adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await redis?.close();
    await server?.destroy();
    await t?.close();
  });

  it('appears in no table, no Redis key and no log line', async () => {
    const canary = `CANARY-${randomUUID()}`;
    const log = captureLogger({ level: 'trace' });
    const publisher = createAuditPublisher({
      redis: redis.client,
      logger: log.logger,
      metrics: new Registry(),
    });
    const consumer = createAuditConsumer({
      source: createStreamSource(redis, {
        stream: AUDIT_STREAM,
        consumer: 'c1',
        batchSize: 100,
        blockMs: 200,
        claimIdleMs: 60_000,
        claimEveryMs: 60_000,
      }),
      db: t.db,
      logger: log.logger,
      metrics: new Registry(),
    });
    await consumer.start();
    const orgId = randomUUID();
    const valid = {
      action: 'ai.request' as const,
      orgId,
      actor: { type: 'token' as const, id: 'tok-1', email: 'dev@example.com' },
      outcome: 'success' as const,
      details: {
        model: 'llama-3-8b',
        endpoint: 'chat.completions' as const,
        status: 200,
        stream: true,
        latencyMs: 9,
      },
    };
    const attempts: Record<string, unknown>[] = [
      { details: { ...valid.details, prompt: canary } },
      { details: { ...valid.details, messages: [{ role: 'user', content: canary }] } },
      { details: { ...valid.details, completion: canary } },
      { details: { ...valid.details, input: [canary] } },
      { details: { ...valid.details, choices: [{ message: { content: canary } }] } },
      { details: { ...valid.details, extra: canary } },
      { details: { ...valid.details, [canary]: 1 } },
      { target: { type: 'model', id: 'm', body: canary } },
    ];
    let rejected = 0;
    for (const attempt of attempts) {
      publisher.publish({ ...valid }); // a legitimate event around each attempt
      try {
        publisher.publish({ ...valid, ...attempt } as never);
      } catch {
        rejected++;
      }
    }
    expect(rejected).toBe(attempts.length);
    await publisher.flush();
    await waitFor(
      async () =>
        Number((await admin.query('SELECT count(*) FROM audit_events')).rows[0].count) === attempts.length,
    );
    await consumer.stop();
    await publisher.stop();

    const tables = await admin.query<{ name: string }>(
      `SELECT quote_ident(table_name) AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.rows.map((r) => r.name)).toContain('audit_events');
    for (const { name } of tables.rows) {
      const dump = await admin.query<{ text: string | null }>(
        `SELECT string_agg(t::text, E'\\n') AS text FROM ${name} t`,
      );
      expect(dump.rows[0]?.text ?? '').not.toContain(canary);
    }

    const keys = await redis.client.keys('*');
    expect(keys).toContain(AUDIT_STREAM);
    for (const key of keys) expect(JSON.stringify(await dumpKey(redis, key))).not.toContain(canary);
    expect(log.text()).not.toContain(canary);
  });
});

async function dumpKey(redis: RedisHandle, key: string): Promise<unknown> {
  const type = await redis.client.type(key);
  switch (type) {
    case 'stream':
      return redis.client.xrange(key, '-', '+');
    case 'string':
      return redis.client.get(key);
    case 'hash':
      return redis.client.hgetall(key);
    case 'list':
      return redis.client.lrange(key, 0, -1);
    case 'set':
      return redis.client.smembers(key);
    case 'zset':
      return redis.client.zrange(key, 0, -1);
    default:
      return `${key}:${type}`;
  }
}
