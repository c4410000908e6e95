// Where the consumer reads audit events from. With a real Redis: a consumer group on the
// stream (at-least-once; pending messages of a dead consumer are claimed with XAUTOCLAIM).
// With the in-memory stand-in (all-in-one, one process, nothing survives a restart anyway),
// ioredis-mock has no consumer groups: the source tails the stream from where it left off.
import {
  entryPayload,
  MAX_EVENTS_PER_ENTRY,
  type EntryPayload,
  type Redis,
  type RedisHandle,
} from '@airlock/common';

export const AUDIT_GROUP = 'airlock-audit';
export const DEAD_LETTER_STREAM = 'airlock:audit:dead-letter';

/** One stream entry: a single event or a batch (see common's audit/stream-format.ts). */
export interface StreamMessage extends EntryPayload {
  /** The Redis stream entry id. */
  streamId: string;
}

export interface DeadLetter {
  streamId: string;
  /** The event's position in a batched entry; absent for a single-event entry or a whole batch. */
  index?: number;
  eventId: string | null;
  /** Problem paths only (never values): safe to log and keep. */
  problems: string[];
}

export interface StreamSource {
  readonly kind: 'group';
  /**
   * True when read() returns only entries never returned before, so the next batch may be
   * read while this one is stored. False while re-reading this consumer's pending entries
   * (they would come back again until acknowledged).
   */
  readonly readsNewOnly: boolean;
  /** Creates the consumer group (and the stream) if missing. */
  init(): Promise<void>;
  /** The next batch: claimed or own pending messages first, then new ones (blocks briefly). */
  read(): Promise<StreamMessage[]>;
  /** Marks messages done: only after what they carry is committed or dead-lettered. */
  ack(streamIds: readonly string[]): Promise<void>;
  deadLetter(letters: readonly DeadLetter[]): Promise<void>;
  /** After a failed batch: start again from this consumer's pending messages. */
  rewind(): void;
  close(): Promise<void>;
}

export interface SourceOptions {
  stream: string;
  deadLetterStream?: string;
  group?: string;
  /** Unique per live process; a restarted process with the same name resumes its pending. */
  consumer: string;
  /** About how many events one read takes (as entries: see `count` below). */
  batchSize: number;
  blockMs: number;
  /** A message pending this long on another consumer is taken over (that consumer is dead). */
  claimIdleMs: number;
  /** How often to look for such messages. */
  claimEveryMs: number;
  /** How often to delete acknowledged entries from the stream (default 5 s). */
  trimEveryMs?: number;
  now?: () => number;
}

function pairs(list: (string | number)[]): [string, string | number][] {
  const out: [string, string | number][] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([String(list[i]), list[i + 1]!]);
  return out;
}

// An entry trimmed while pending comes back with no fields: form 'none', nothing to store.
function entriesOf(raw: unknown): StreamMessage[] {
  return ((raw as [string, string[] | null][] | null) ?? []).map(([streamId, fields]) => ({
    streamId,
    ...entryPayload(fields),
  }));
}

/** Dead letters name the stream their entry came from: both consumers share the one dead-letter stream. */
async function addDeadLetters(
  redis: Redis,
  stream: string,
  source: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  const pipeline = redis.pipeline();
  for (const l of letters) {
    pipeline.xadd(
      stream,
      'MAXLEN',
      '~',
      '100000',
      '*',
      'streamId',
      l.streamId,
      'eventId',
      l.eventId ?? '',
      'problems',
      JSON.stringify(l.problems),
      ...(l.index === undefined ? [] : ['index', String(l.index)]),
      'stream',
      source,
    );
  }
  const results = await pipeline.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('dead-letter write failed');
}

export function createStreamSource(redis: RedisHandle, options: SourceOptions): StreamSource {
  return groupSource(redis, options);
}

function groupSource(handle: RedisHandle, o: SourceOptions): StreamSource {
  const group = o.group ?? AUDIT_GROUP;
  const now = o.now ?? Date.now;
  // Its own connection: a blocking XREADGROUP must not hold up everyone else's commands.
  const conn = handle.duplicate();
  // BLOCK must end before the per-command timeout, or every idle read would count as a failure.
  const commandTimeout = conn.options.commandTimeout ?? Number.POSITIVE_INFINITY;
  const blockMs = Math.max(50, Math.min(o.blockMs, commandTimeout - 500));
  let pendingFirst = true;
  let claimCursor = '0-0';
  let nextClaimAt = 0;
  let nextTrimAt = 0;
  // Entries per read, so that a read holds about batchSize events: a batched entry holds up to
  // MAX_EVENTS_PER_ENTRY, so the first read is small, and each read sizes the next one from the
  // events per entry it saw.
  let count = Math.max(1, Math.ceil(o.batchSize / MAX_EVENTS_PER_ENTRY));
  function sized(messages: StreamMessage[]): StreamMessage[] {
    if (messages.length === 0) return messages;
    let events = 0;
    for (const m of messages) events += Math.max(1, m.count);
    count = Math.max(1, Math.min(o.batchSize, Math.floor((o.batchSize * messages.length) / events)));
    return messages;
  }

  /**
   * Deletes entries every consumer has acknowledged: everything before the oldest pending
   * entry, or, with nothing pending, up to the last one delivered. Without this the stream
   * (metadata only, but still) would grow forever. Assumes this group is the stream's only
   * reader, which it is: forwarding to a SIEM reads from Postgres, not from the stream.
   */
  async function trim(): Promise<void> {
    const [count, minPending] = (await conn.xpending(o.stream, group)) as [number, string | null];
    let minId: string | undefined;
    if (count > 0 && minPending) {
      minId = minPending;
    } else {
      const groups = (await conn.xinfo('GROUPS', o.stream)) as (string | number)[][];
      const info = groups.map((g) => Object.fromEntries(pairs(g))).find((g) => g.name === group);
      const last = typeof info?.['last-delivered-id'] === 'string' ? info['last-delivered-id'] : undefined;
      const [ms, seq] = (last ?? '0-0').split('-');
      if (last && last !== '0-0') minId = `${ms}-${Number(seq) + 1}`;
    }
    if (minId) await conn.xtrim(o.stream, 'MINID', minId);
  }

  async function ensureGroup(): Promise<void> {
    try {
      await conn.xgroup('CREATE', o.stream, group, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
  }

  async function readGroup(id: '0' | '>'): Promise<StreamMessage[]> {
    const args: (string | number)[] = ['GROUP', group, o.consumer, 'COUNT', count];
    if (id === '>') args.push('BLOCK', blockMs);
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const reply = (await (conn as any).xreadgroup(...args, 'STREAMS', o.stream, id)) as
        [string, unknown][] | null;
      return sized(entriesOf(reply?.[0]?.[1]));
    } catch (e) {
      // The stream (and its group) was deleted: recreate, then read again next time.
      if (String((e as Error).message).includes('NOGROUP')) {
        await ensureGroup();
        return [];
      }
      throw e;
    }
  }

  return {
    kind: 'group',
    get readsNewOnly() {
      return !pendingFirst;
    },
    init: ensureGroup,
    async read() {
      if (now() >= nextClaimAt) {
        const reply = (await conn.xautoclaim(
          o.stream,
          group,
          o.consumer,
          o.claimIdleMs,
          claimCursor,
          'COUNT',
          count,
        )) as [string, unknown, unknown?];
        claimCursor = reply[0];
        // A full sweep of the pending list ends with cursor 0-0: wait until the next one.
        if (claimCursor === '0-0') nextClaimAt = now() + o.claimEveryMs;
        const claimed = sized(entriesOf(reply[1]));
        if (claimed.length > 0) return claimed;
      }
      if (pendingFirst) {
        const pending = await readGroup('0');
        if (pending.length > 0) return pending;
        pendingFirst = false;
      }
      return readGroup('>');
    },
    async ack(ids) {
      if (ids.length > 0) await conn.xack(o.stream, group, ...ids);
      if (now() >= nextTrimAt) {
        nextTrimAt = now() + (o.trimEveryMs ?? 5_000);
        await trim();
      }
    },
    deadLetter: (letters) =>
      addDeadLetters(conn, o.deadLetterStream ?? DEAD_LETTER_STREAM, o.stream, letters),
    rewind() {
      pendingFirst = true;
    },
    async close() {
      conn.disconnect();
    },
  };
}
