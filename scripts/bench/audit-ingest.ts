// Audit ingest throughput: events/s from the Redis stream into Postgres, through the real
// consumer (validation, hash chain, multi-row insert, ack, trim).
//
//   . /tmp/devenv.sh   # TEST_DATABASE_* and the Postgres to use
//   node_modules/.bin/tsx --conditions=@airlock/source scripts/bench/audit-ingest.ts \
//     [--events 100000] [--orgs 10] [--batch 1000] [--pool 4] [--writers prisma,pg] [--per-entry 32]
//
// For each writer (prisma: Prisma's interactive transaction, the PGlite path; pg: the
// dedicated pool used on Postgres) it uses a fresh database cloned from the migrated template
// and a throwaway Redis, both removed afterwards. The stream is filled first, then the
// consumer drains it: the figure is sustained ingest with a full backlog (the case after an
// outage), not publish latency. One JSON line per writer.
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { AUDIT_STREAM, createLogger, openDb, openRedis, parseAuditEvent } from '@airlock/common';
import { createTestDatabase, startRedis } from '@airlock/common/testing';
import { createAuditConsumer } from '../../services/audit/src/ingest/consumer.js';
import { createStreamSource } from '../../services/audit/src/ingest/stream-source.js';
import { pgEventWriter, prismaEventWriter } from '../../services/audit/src/store/pg-writer.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    orgs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '1000' },
    pool: { type: 'string', default: '4' },
    writers: { type: 'string', default: 'prisma,pg' },
    // Events per stream entry: 1 writes the single-event form (field `event`) as older
    // publishers did; more writes batched entries (fields `n`, `events`) as publishers do now.
    'per-entry': { type: 'string', default: '32' },
  },
});
const N = Number(values.events);
const ORGS = Array.from({ length: Number(values.orgs) }, () => randomUUID());
const BATCH = Number(values.batch);
const PER_ENTRY = Number(values['per-entry']);

const WRITERS = values.writers.split(',').map((w) => w.trim());
for (const w of WRITERS) if (w !== 'prisma' && w !== 'pg') throw new Error(`unknown writer ${w}`);

const logger = createLogger({ level: 'warn', service: 'bench' });

/** A realistic ai.request event (the most frequent action), about 600 bytes of JSON. */
function makeEvent(j: number) {
  return parseAuditEvent({
    id: uuidv7(),
    time: new Date().toISOString(),
    orgId: ORGS[j % ORGS.length],
    actor: { type: 'token', id: `tok-${j % 50}`, email: `dev${j % 50}@example.com` },
    action: 'ai.request',
    target: { type: 'model', id: 'llama-3-70b-instruct' },
    outcome: 'success',
    clientIp: '10.1.2.3',
    userAgent: 'Continue/0.9 (vscode 1.95)',
    requestId: randomUUID(),
    details: {
      model: 'llama-3-70b-instruct',
      upstream: 'vllm-a',
      endpoint: 'chat.completions',
      status: 200,
      stream: true,
      promptTokens: 812,
      completionTokens: 240,
      latencyMs: 1234,
      ttfbMs: 180,
      tokenId: `tok-${j % 50}`,
    },
  });
}

async function runWriter(kind: string): Promise<void> {
  const database = await createTestDatabase();
  const redisServer = await startRedis();
  const redis = openRedis({ url: redisServer.url, nodeEnv: 'production', commandTimeoutMs: 10_000 });
  const db = await openDb({ url: database.url, poolSize: Number(values.pool) });
  const writer = kind === 'pg' ? pgEventWriter({ url: database.url, logger }) : prismaEventWriter(db);
  try {
    await redis.ping();
    const fillStart = performance.now();
    for (let i = 0; i < N; i += 5_000) {
      const pipeline = redis.client.pipeline();
      const end = Math.min(N, i + 5_000);
      for (let j = i; j < end; j += PER_ENTRY) {
        const events = Array.from({ length: Math.min(PER_ENTRY, end - j) }, (_, k) => makeEvent(j + k));
        if (PER_ENTRY === 1) pipeline.xadd(AUDIT_STREAM, '*', 'event', JSON.stringify(events[0]));
        else pipeline.xadd(AUDIT_STREAM, '*', 'n', String(events.length), 'events', JSON.stringify(events));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw new Error(`XADD failed: ${failed?.[0]?.message ?? 'no reply'}`);
    }
    const fillSeconds = (performance.now() - fillStart) / 1000;

    const metrics = new Registry();
    const consumer = createAuditConsumer({
      source: createStreamSource(redis, {
        stream: AUDIT_STREAM,
        consumer: 'bench',
        batchSize: BATCH,
        blockMs: 500,
        claimIdleMs: 60_000,
        claimEveryMs: 60_000,
      }),
      db,
      writer,
      logger,
      metrics,
    });
    const ingested = async () =>
      Number(
        (await metrics.getSingleMetric('airlock_audit_events_ingested_total')!.get()).values[0]?.value ?? 0,
      );
    const start = performance.now();
    await consumer.start();
    while ((await ingested()) < N) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - start) / 1000;
    await consumer.stop();

    const counted = await db.asSystem((tx) =>
      tx.$queryRawUnsafe<{ n: string }[]>('SELECT count(*)::text AS n FROM audit_events'),
    );
    const rows = Number(counted[0]!.n);
    // The store alone (validated events in memory, no Redis): the Postgres side of the figure.
    const direct = Array.from({ length: N }, (_, j) => makeEvent(j));
    const storeStart = performance.now();
    for (let i = 0; i < N; i += BATCH) await writer.append(direct.slice(i, i + BATCH));
    const storeSeconds = (performance.now() - storeStart) / 1000;

    const result = {
      writer: kind,
      events: N,
      orgs: ORGS.length,
      batch: BATCH,
      perEntry: PER_ENTRY,
      rows,
      publishSeconds: Number(fillSeconds.toFixed(2)),
      publishPerSecond: Math.round(N / fillSeconds),
      ingestSeconds: Number(seconds.toFixed(2)),
      ingestPerSecond: Math.round(N / seconds),
      storeOnlySeconds: Number(storeSeconds.toFixed(2)),
      storeOnlyPerSecond: Math.round(N / storeSeconds),
      cpus: os.cpus().length,
      load1: Number(os.loadavg()[0]!.toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (rows !== N) throw new Error(`expected ${N} rows, found ${rows}`);
  } finally {
    await writer.close();
    await db.close();
    await redis.close();
    await redisServer.destroy();
    await database.drop();
  }
}

for (const kind of WRITERS) await runWriter(kind);
