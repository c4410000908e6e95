// Publishes audit events to a Redis Stream that the audit service consumes. Publishing never
// blocks or fails a request: when Redis is unreachable, events wait in a bounded in-memory
// spool and are retried. An event dropped because the spool is full is counted and logged,
// never silently lost.
import { Counter, Gauge, type Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from '../logger.js';
import type { Redis } from '../redis/client.js';
import type { AuditAction } from './actions.js';
import { parseAuditEvent, type AuditEvent, type AuditEventInput } from './event.js';

export const AUDIT_STREAM = 'airlock:audit:events';

export interface AuditPublisher {
  /** Validates and queues an event. Throws AuditEventError on an invalid event (a bug). */
  publish<A extends AuditAction>(event: AuditEventInput<A>): AuditEvent;
  /** The XADD arguments for an event, for callers that pipeline it with other commands. */
  streamArgs(event: AuditEvent): [string, string, string, string];
  /** Waits until the spool is empty or the timeout passes; returns what is still queued. */
  flush(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface AuditPublisherOptions {
  redis: Redis;
  logger: Logger;
  metrics: Registry;
  stream?: string;
  spoolLimit?: number;
  retryMs?: number;
}

export function createAuditPublisher(options: AuditPublisherOptions): AuditPublisher {
  const { redis, logger, metrics } = options;
  const stream = options.stream ?? AUDIT_STREAM;
  const spoolLimit = options.spoolLimit ?? 10_000;
  const retryMs = options.retryMs ?? 1_000;
  const spool: AuditEvent[] = [];
  const dropped = new Counter({
    name: 'airlock_audit_events_dropped_total',
    help: 'Audit events dropped because the local spool was full',
    registers: [metrics],
  });
  new Gauge({
    name: 'airlock_audit_spool_size',
    help: 'Audit events waiting for Redis',
    registers: [metrics],
    collect() {
      this.set(spool.length);
    },
  });
  let draining: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const streamArgs = (event: AuditEvent): [string, string, string, string] => [
    stream,
    '*',
    'event',
    JSON.stringify(event),
  ];

  async function drain(): Promise<void> {
    while (spool.length > 0) {
      const batch = spool.slice(0, 500);
      const pipeline = redis.pipeline();
      for (const event of batch) pipeline.xadd(...streamArgs(event));
      const results = await pipeline.exec().catch(() => null);
      const sent = results ? results.findIndex(([err]) => err !== null) : 0;
      const count = sent === -1 ? batch.length : sent;
      spool.splice(0, count);
      if (count < batch.length) {
        schedule();
        return;
      }
    }
  }

  function schedule(): void {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      kick();
    }, retryMs);
    timer.unref();
  }

  function kick(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
    });
  }

  return {
    publish(input) {
      const event = parseAuditEvent({
        id: uuidv7(),
        time: (input.time ?? new Date()).toISOString(),
        orgId: input.orgId,
        actor: input.actor,
        action: input.action,
        target: input.target ?? null,
        outcome: input.outcome,
        clientIp: input.clientIp ?? null,
        userAgent: input.userAgent ?? null,
        requestId: input.requestId ?? null,
        details: input.details,
      });
      if (spool.length >= spoolLimit) {
        dropped.inc();
        logger.error({ action: event.action, eventId: event.id }, 'audit spool full: event dropped');
        return event;
      }
      spool.push(event);
      kick();
      return event;
    },
    streamArgs,
    async flush(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (spool.length > 0 && Date.now() < deadline) {
        kick();
        await (draining ?? new Promise((r) => setTimeout(r, 50)));
        if (spool.length > 0) await new Promise((r) => setTimeout(r, 50));
      }
      return spool.length;
    },
    async stop() {
      const left = await this.flush();
      stopped = true;
      if (timer) clearTimeout(timer);
      if (left > 0) logger.error({ left }, 'audit events still spooled at shutdown');
    },
  };
}
