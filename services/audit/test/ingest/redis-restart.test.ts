// The consumer rides out a Redis restart: not ready while Redis is gone, then back to
// ingesting (the stream and group are recreated when Redis came back empty).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { AUDIT_STREAM, createAuditPublisher, openRedis, type RedisHandle } from '@airlock/common';
import { captureLogger, openTestDb, startRedis, waitFor, type ServerProcess } from '@airlock/common/testing';
import { createAuditConsumer } from '../../src/ingest/consumer.js';
import { createStreamSource } from '../../src/ingest/stream-source.js';
import { silentLogger } from '../helpers.js';

describe('audit consumer across a Redis restart', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let server: ServerProcess;
  let redis: RedisHandle;
  let admin: pg.Client;

  beforeAll(async () => {
    [t, server] = await Promise.all([openTestDb(), startRedis()]);
    redis = openRedis({ url: server.url, nodeEnv: 'test', commandTimeoutMs: 1_000 });
    admin = new pg.Client({ connectionString: t.database.adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await redis?.close();
    await server?.destroy();
    await t?.close();
  });

  it('reports not ready while Redis is down and ingests again once it is back', async () => {
    const log = captureLogger();
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
      retryMs: 50,
      maxRetryMs: 200,
      staleMs: 1_000,
    });
    const publisher = createAuditPublisher({
      redis: redis.client,
      logger: silentLogger,
      metrics: new Registry(),
      retryMs: 100,
    });
    const orgId = randomUUID();
    const count = async () =>
      Number(
        (await admin.query('SELECT count(*) FROM audit_events WHERE org_id = $1', [orgId])).rows[0].count,
      );
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) {
        publisher.publish({
          action: 'member.added',
          orgId,
          actor: { type: 'user', id: 'admin', email: null },
          outcome: 'success',
          details: { role: 'member' },
          target: { type: 'user', id: `u${i}` },
        });
      }
    };
    try {
      await waitFor(async () => (await redis.client.ping().catch(() => '')) === 'PONG');
      await consumer.start();
      publish(10);
      await waitFor(async () => (await count()) === 10);

      await server.stop();
      publish(10); // spooled by the publisher meanwhile
      await waitFor(async () => {
        try {
          await consumer.readiness.check();
          return false;
        } catch {
          return true;
        }
      });
      expect(log.text()).toContain('audit ingest failed; retrying');

      await server.start(); // an empty Redis: no stream, no group
      await waitFor(async () => (await count()) === 20, 20_000);
      await waitFor(async () => {
        await consumer.readiness.check();
        return true;
      });
    } finally {
      await consumer.stop();
      await publisher.stop();
    }
  }, 40_000);
});
