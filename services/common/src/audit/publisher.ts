// Publishes audit events to a Redis Stream that the audit service consumes. Publishing never
// blocks or fails a request: when Redis is unreachable, events wait in a bounded in-memory
// spool and are retried. An event dropped because the spool is full is counted and logged,
// never silently lost.
import { Counter, Gauge, type Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from '../logger.js';
import type { Redis } from '../redis/client.js';
import type { AuditAction } from './actions.js';
import { parsePublishedEvent, type AuditEvent, type AuditEventInput } from './event.js';
import {
  AUDIT_STREAM,
  COUNT_FIELD,
  EVENTS_FIELD,
  MAX_ENTRY_CHARS,
  MAX_EVENTS_PER_ENTRY,
} from './stream-format.js';

export interface AuditPublisher {
  /** Validates and queues an event. Throws AuditEventError on an invalid event (a bug). */
  publish<A extends AuditAction>(event: AuditEventInput<A>): AuditEvent;
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
  /**
   * How long an event waits for others before the spool is sent (default 2 ms): on a busy
   * process the events of that time share one XADD. flush() and stop() do not wait.
   */
  lingerMs?: number;
}

/** Most events one drain round sends (in entries of up to MAX_EVENTS_PER_ENTRY). */
const EVENTS_PER_ROUND = 512;

/** Where the spooled events (JSON, in order) are cut into entries: the end index of each. */
function entryEnds(spool: readonly string[], take: number): number[] {
  const ends: number[] = [];
  let start = 0;
  while (start < take) {
    let end = start + 1;
    let chars = spool[start]!.length + 2;
    while (end < take && end - start < MAX_EVENTS_PER_ENTRY) {
      const next = chars + spool[end]!.length + 1;
      if (next > MAX_ENTRY_CHARS) break;
      chars = next;
      end++;
    }
    ends.push(end);
    start = end;
  }
  return ends;
}

export function createAuditPublisher(options: AuditPublisherOptions): AuditPublisher {
  const { redis, logger, metrics } = options;
  const stream = options.stream ?? AUDIT_STREAM;
  const spoolLimit = options.spoolLimit ?? 10_000;
  const retryMs = options.retryMs ?? 1_000;
  const lingerMs = options.lingerMs ?? 2;
  // Each event serialised once, at publish: the entry is these texts joined into an array.
  const spool: string[] = [];
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
  let lingering: NodeJS.Timeout | undefined;
  let stopped = false;

  const entryArgs = (start: number, end: number): string[] => [
    stream,
    '*',
    COUNT_FIELD,
    String(end - start),
    EVENTS_FIELD,
    end - start === 1 ? `[${spool[start]}]` : `[${spool.slice(start, end).join(',')}]`,
  ];

  /** Sends the first `take` events; resolves to how many of them Redis stored (a prefix). */
  async function send(take: number): Promise<number> {
    const ends = entryEnds(spool, take);
    if (ends.length === 1) {
      const args = entryArgs(0, ends[0]!);
      return redis.xadd(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!).then(
        () => take,
        () => 0,
      );
    }
    const pipeline = redis.pipeline();
    let start = 0;
    for (const end of ends) {
      const args = entryArgs(start, end);
      pipeline.xadd(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!);
      start = end;
    }
    const results = await pipeline.exec().catch(() => null);
    if (!results) return 0;
    const failed = results.findIndex(([err]) => err !== null);
    if (failed === -1) return take;
    return failed === 0 ? 0 : ends[failed - 1]!;
  }

  async function drain(): Promise<void> {
    while (spool.length > 0) {
      const take = Math.min(spool.length, EVENTS_PER_ROUND);
      const sent = await send(take);
      spool.splice(0, sent);
      if (sent < take) {
        schedule();
        return;
      }
    }
  }

  function schedule(): void {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      startDrain();
    }, retryMs);
    timer.unref();
  }

  function startDrain(): void {
    if (lingering) {
      clearTimeout(lingering);
      lingering = undefined;
    }
    draining ??= drain().finally(() => {
      draining = undefined;
      // An event queued between the last check of the loop and here would otherwise wait.
      if (spool.length > 0 && !timer && !stopped) kick();
    });
  }

  /** Sends soon: after the linger time, unless a drain is already running or due. */
  function kick(): void {
    if (draining || lingering) return;
    if (lingerMs <= 0) return startDrain();
    lingering = setTimeout(startDrain, lingerMs);
    lingering.unref();
  }

  return {
    publish(input) {
      const event = parsePublishedEvent({
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
      spool.push(JSON.stringify(event));
      kick();
      return event;
    },
    async flush(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (spool.length > 0 && Date.now() < deadline) {
        startDrain();
        await (draining ?? new Promise((r) => setTimeout(r, 50)));
        if (spool.length > 0) await new Promise((r) => setTimeout(r, 50));
      }
      return spool.length;
    },
    async stop() {
      const left = await this.flush();
      stopped = true;
      if (timer) clearTimeout(timer);
      if (lingering) clearTimeout(lingering);
      lingering = undefined;
      if (left > 0) logger.error({ left }, 'audit events still spooled at shutdown');
    },
  };
}
