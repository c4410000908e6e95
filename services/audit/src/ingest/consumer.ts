// Moves audit events from the stream into Postgres: read a batch of entries (each one event, or
// a batch of events from one publisher), validate each event again,
// store the valid ones in one transaction, dead-letter the invalid ones, and acknowledge only
// after both are durable. A crash at any point leaves the batch pending; it is read again
// (by this consumer after a restart, or claimed by another) and the insert skips what was
// already stored.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AuditEvent, Db, Logger, ReadinessCheck } from '@airlock/common';
import { prismaEventWriter, type EventWriter } from '../store/pg-writer.js';
import type { DeadLetter, StreamMessage, StreamSource } from './stream-source.js';
import { checkBatch, checkMessage } from './validate.js';

export interface AuditConsumer {
  start(): Promise<void>;
  /** Finishes the batch in hand, then stops reading. */
  stop(): Promise<void>;
  readiness: ReadinessCheck;
}

export interface ConsumerOptions {
  source: StreamSource;
  db: Db;
  /** Where batches are stored; default: through Prisma on `db` (see store/pg-writer.ts). */
  writer?: EventWriter;
  logger: Logger;
  metrics: Registry;
  /** First pause after a failed batch; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** After this many failures of one batch with the database reachable, events are stored
   * one by one so a single event the database refuses cannot stall the whole stream. */
  isolateAfter?: number;
  /** Not ready when no read succeeded for this long. */
  staleMs?: number;
  /** The readiness check's name (default audit-consumer). */
  name?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createAuditConsumer(options: ConsumerOptions): AuditConsumer {
  const { source, db, logger, metrics } = options;
  const writer = options.writer ?? prismaEventWriter(db);
  const retryMs = options.retryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  const isolateAfter = options.isolateAfter ?? 3;
  const staleMs = options.staleMs ?? 15_000;
  // Several consumers of one process (one per stream: module.ts) count into the same metrics.
  const counter = (name: string, help: string): Counter =>
    (metrics.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, registers: [metrics] });
  const ingested = counter('airlock_audit_events_ingested_total', 'Audit events stored in Postgres');
  const duplicates = counter(
    'airlock_audit_events_redelivered_total',
    'Audit events delivered again after being stored (skipped)',
  );
  const deadLettered = counter(
    'airlock_audit_events_dead_lettered_total',
    'Invalid audit events moved to the dead-letter stream instead of being stored',
  );
  const failures = counter(
    'airlock_audit_ingest_failures_total',
    'Audit batches that failed and will be retried',
  );
  const batchSeconds =
    (metrics.getSingleMetric('airlock_audit_ingest_batch_seconds') as Histogram | undefined) ??
    new Histogram({
      name: 'airlock_audit_ingest_batch_seconds',
      help: 'Time to store and acknowledge one batch of audit events',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics],
    });

  let running = false;
  let loop: Promise<void> | undefined;
  let initialized = false;
  let lastOkAt = 0;
  let consecutiveFailures = 0;

  /** A batch read from the stream, already checked: what to store and what to dead-letter. */
  interface CheckedBatch {
    messages: StreamMessage[];
    valid: { event: AuditEvent; streamId: string; index?: number }[];
    dead: DeadLetter[];
  }

  function check(messages: StreamMessage[]): CheckedBatch {
    const valid: CheckedBatch['valid'] = [];
    const dead: DeadLetter[] = [];
    for (const m of messages) {
      if (m.json === null) continue; // trimmed or foreign entry: nothing to store
      const { streamId } = m;
      if (m.form === 'event') {
        const checked = checkMessage(m.json);
        if (checked.ok) valid.push({ event: checked.event, streamId });
        else dead.push({ streamId, eventId: checked.eventId, problems: checked.problems });
        continue;
      }
      // A batch: each event on its own, as if it had had an entry of its own.
      for (const checked of checkBatch(m.json)) {
        const index = checked.index ?? undefined;
        if (checked.ok) valid.push({ event: checked.event, streamId, index });
        else dead.push({ streamId, index, eventId: checked.eventId, problems: checked.problems });
      }
    }
    return { messages, valid, dead };
  }

  /** Reads the next batch and checks it as soon as it arrives. */
  const readChecked = () => source.read().then(check);

  async function store({ messages, valid, dead }: CheckedBatch): Promise<void> {
    if (valid.length > 0) {
      if (consecutiveFailures >= isolateAfter) {
        dead.push(...(await storeOneByOne(valid)));
      } else {
        const result = await writer.append(valid.map((v) => v.event));
        ingested.inc(result.inserted);
        duplicates.inc(result.duplicates);
      }
    }
    if (dead.length > 0) {
      await source.deadLetter(dead);
      deadLettered.inc(dead.length);
      for (const d of dead) {
        logger.warn(
          { streamId: d.streamId, index: d.index, eventId: d.eventId, problems: d.problems },
          'invalid audit event dead-lettered',
        );
      }
    }
    await source.ack(messages.map((m) => m.streamId));
  }

  /** Stores events singly; one the database refuses (while it is reachable) is dead-lettered. */
  async function storeOneByOne(items: CheckedBatch['valid']): Promise<DeadLetter[]> {
    const dead: DeadLetter[] = [];
    for (const { event, streamId, index } of items) {
      try {
        const result = await writer.append([event]);
        ingested.inc(result.inserted);
        duplicates.inc(result.duplicates);
      } catch (e) {
        await db.ping(); // an outage: give up on this batch and retry it later as a whole
        logger.error({ err: (e as Error).message, eventId: event.id }, 'database refused an audit event');
        dead.push({ streamId, index, eventId: event.id, problems: ['(event): refused by the database'] });
      }
    }
    return dead;
  }

  async function run(): Promise<void> {
    let delay = retryMs;
    let ahead: Promise<CheckedBatch> | undefined;
    while (running) {
      try {
        if (!initialized) {
          await source.init();
          initialized = true;
        }
        const batch = await (ahead ?? readChecked());
        ahead = undefined;
        lastOkAt = Date.now();
        if (batch.messages.length > 0) {
          // Read (and let Redis deliver) the next batch while this one is stored, and check it
          // while this one's statements run: the database and this process then work at the
          // same time instead of taking turns.
          if (source.readsNewOnly) {
            ahead = readChecked();
            ahead.catch(() => undefined); // surfaces when awaited
          }
          const end = batchSeconds.startTimer();
          await store(batch);
          end();
          lastOkAt = Date.now();
        }
        consecutiveFailures = 0;
        delay = retryMs;
      } catch (e) {
        // Whatever was read ahead stays pending on this consumer: rewind() reads it again.
        ahead = undefined;
        if (!running) break;
        failures.inc();
        consecutiveFailures++;
        source.rewind();
        // The message of a driver error names the failure, never event contents (events are
        // validated content-free before they get anywhere near the database).
        logger.warn({ err: (e as Error).message, retryInMs: delay }, 'audit ingest failed; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, maxRetryMs);
      }
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      // One attempt before reporting started, so /readyz is accurate from the first probe;
      // if Redis is down the loop keeps trying and readiness says so meanwhile.
      try {
        await source.init();
        initialized = true;
        lastOkAt = Date.now();
      } catch (e) {
        logger.warn({ err: (e as Error).message }, 'audit consumer group not created yet; retrying');
      }
      loop = run();
    },
    async stop() {
      running = false;
      await loop;
      loop = undefined;
      await source.close();
    },
    readiness: {
      name: options.name ?? 'audit-consumer',
      async check() {
        if (!running || !initialized) throw new Error('audit consumer not running');
        if (Date.now() - lastOkAt > staleMs) throw new Error('audit consumer stalled');
      },
    },
  };
}
