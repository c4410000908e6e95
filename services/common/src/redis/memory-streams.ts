// Redis streams for the in-memory stand-in. ioredis-mock's streams compare ids as strings
// ("10-0" sorts before "9-0", so a reader tailing the stream stops seeing new events), append
// "-0" to explicit ids and have no consumer groups, trimming or XAUTOCLAIM. This implements the
// stream commands the services use with Redis's semantics: ids are (ms, seq) pairs compared
// numerically, consumer groups keep a pending entries list, BLOCK waits for XADD.
import { EventEmitter } from 'node:events';

type Fields = string[];
interface Id {
  ms: bigint;
  seq: bigint;
}
interface Entry {
  id: Id;
  key: string;
  fields: Fields;
}
interface Pending {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}
interface Group {
  lastDelivered: Id;
  pending: Map<string, Pending>;
  consumers: Set<string>;
  entriesRead: number;
}
interface Stream {
  entries: Entry[];
  last: Id;
  added: number;
  groups: Map<string, Group>;
}

type Reply = string | number | null | Reply[];

const ZERO: Id = { ms: 0n, seq: 0n };
const MAX: Id = { ms: 2n ** 64n - 1n, seq: 2n ** 64n - 1n };

class ReplyError extends Error {}

function cmp(a: Id, b: Id): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}
const str = (id: Id): string => `${id.ms}-${id.seq}`;

function parseId(raw: string, missingSeq: bigint): Id {
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw);
  if (!m) throw new ReplyError('ERR Invalid stream ID specified as stream command argument');
  return { ms: BigInt(m[1]!), seq: m[2] === undefined ? missingSeq : BigInt(m[2]) };
}

/** A range bound: "-", "+", an id, or "(" id for exclusive. */
function bound(raw: string, isStart: boolean): Id {
  if (raw === '-') return ZERO;
  if (raw === '+') return MAX;
  if (raw.startsWith('(')) {
    const id = parseId(raw.slice(1), isStart ? 0n : MAX.seq);
    if (isStart) return id.seq === MAX.seq ? { ms: id.ms + 1n, seq: 0n } : { ms: id.ms, seq: id.seq + 1n };
    return id.seq === 0n ? { ms: id.ms - 1n, seq: MAX.seq } : { ms: id.ms, seq: id.seq - 1n };
  }
  return parseId(raw, isStart ? 0n : MAX.seq);
}

const wire = (e: Entry): Reply => [str(e.id), [...e.fields]];

/** One store per ioredis-mock data context, so duplicate() connections see the same streams. */
export class MemoryStreams {
  private readonly streams = new Map<string, Stream>();
  private readonly events = new EventEmitter().setMaxListeners(0);

  has(key: string): boolean {
    return this.streams.has(key);
  }

  delete(key: string): boolean {
    return this.streams.delete(key);
  }

  private stream(key: string, create: boolean): Stream | undefined {
    let s = this.streams.get(key);
    if (!s && create) {
      s = { entries: [], last: ZERO, added: 0, groups: new Map() };
      this.streams.set(key, s);
    }
    return s;
  }

  private group(key: string, name: string, command: string): { s: Stream; g: Group } {
    const s = this.streams.get(key);
    const g = s?.groups.get(name);
    if (!s || !g)
      throw new ReplyError(
        `NOGROUP No such key '${key}' or consumer group '${name}' in ${command} with GROUP option`,
      );
    return { s, g };
  }

  private find(s: Stream, id: string): Entry | undefined {
    const target = parseId(id, 0n);
    return s.entries.find((e) => cmp(e.id, target) === 0);
  }

  xadd(args: string[]): string | null {
    const [key, ...rest] = args;
    let i = 0;
    let noMk = false;
    let trim: string[] | undefined;
    for (;;) {
      const word = rest[i]?.toUpperCase();
      if (word === 'NOMKSTREAM') {
        noMk = true;
        i += 1;
      } else if (word === 'MAXLEN' || word === 'MINID') {
        const approx = rest[i + 1] === '~' || rest[i + 1] === '=';
        trim = [word, rest[i + (approx ? 2 : 1)]!];
        i += approx ? 3 : 2;
        if (rest[i]?.toUpperCase() === 'LIMIT') i += 2;
      } else break;
    }
    const rawId = rest[i];
    const fields = rest.slice(i + 1);
    if (!key || !rawId || fields.length === 0 || fields.length % 2 !== 0)
      throw new ReplyError("ERR wrong number of arguments for 'xadd' command");
    if (noMk && !this.streams.has(key)) return null;
    const s = this.stream(key, true)!;
    let id: Id;
    if (rawId === '*') {
      const now = BigInt(Date.now());
      id = now > s.last.ms ? { ms: now, seq: 0n } : { ms: s.last.ms, seq: s.last.seq + 1n };
    } else if (rawId.endsWith('-*')) {
      const ms = parseId(rawId.slice(0, -2), 0n).ms;
      id = ms === s.last.ms ? { ms, seq: s.last.seq + 1n } : { ms, seq: 0n };
    } else id = parseId(rawId, 0n);
    if (cmp(id, ZERO) === 0) throw new ReplyError('ERR The ID specified in XADD must be greater than 0-0');
    if (cmp(id, s.last) <= 0)
      throw new ReplyError(
        'ERR The ID specified in XADD is equal or smaller than the target stream top item',
      );
    s.entries.push({ id, key, fields: fields.map(String) });
    s.last = id;
    s.added += 1;
    if (trim) this.trimStream(s, trim[0]!, trim[1]!);
    this.events.emit(key);
    return str(id);
  }

  private trimStream(s: Stream, strategy: string, threshold: string): number {
    const before = s.entries.length;
    if (strategy.toUpperCase() === 'MAXLEN') {
      const keep = Number(threshold);
      if (s.entries.length > keep) s.entries.splice(0, s.entries.length - keep);
    } else {
      const min = parseId(threshold, 0n);
      s.entries = s.entries.filter((e) => cmp(e.id, min) >= 0);
    }
    return before - s.entries.length;
  }

  xtrim([key, strategy, ...rest]: string[]): number {
    const s = this.streams.get(key!);
    if (!s || !strategy) return 0;
    const threshold = rest[0] === '~' || rest[0] === '=' ? rest[1] : rest[0];
    return this.trimStream(s, strategy, threshold!);
  }

  xdel([key, ...ids]: string[]): number {
    const s = this.streams.get(key!);
    if (!s) return 0;
    const gone = new Set(ids.map((id) => str(parseId(id, 0n))));
    const before = s.entries.length;
    s.entries = s.entries.filter((e) => !gone.has(str(e.id)));
    return before - s.entries.length;
  }

  xlen([key]: string[]): number {
    return this.streams.get(key!)?.entries.length ?? 0;
  }

  xrange([key, start, end, count, n]: string[], reverse = false): Reply {
    const s = this.streams.get(key!);
    if (!s) return [];
    const [lo, hi] = reverse
      ? [bound(end!, true), bound(start!, false)]
      : [bound(start!, true), bound(end!, false)];
    let hits = s.entries.filter((e) => cmp(e.id, lo) >= 0 && cmp(e.id, hi) <= 0);
    if (reverse) hits = hits.reverse();
    if (count?.toUpperCase() === 'COUNT') hits = hits.slice(0, Number(n));
    return hits.map(wire);
  }

  /** Splits `[opts…] STREAMS k1 k2 id1 id2`. */
  private static streamsArgs(args: string[]): { opts: Map<string, string>; pairs: [string, string][] } {
    const at = args.findIndex((a) => a.toUpperCase() === 'STREAMS');
    if (at < 0) throw new ReplyError('ERR syntax error');
    const opts = new Map<string, string>();
    for (let i = 0; i < at; i++) {
      const word = args[i]!.toUpperCase();
      if (word === 'NOACK') opts.set(word, '');
      else if (word === 'GROUP') {
        opts.set('GROUP', args[++i]!);
        opts.set('CONSUMER', args[++i]!);
      } else opts.set(word, args[++i]!);
    }
    const rest = args.slice(at + 1);
    if (rest.length === 0 || rest.length % 2 !== 0)
      throw new ReplyError(
        "ERR Unbalanced 'xread' list of streams: for each stream key an ID must be specified.",
      );
    const half = rest.length / 2;
    return { opts, pairs: rest.slice(0, half).map((k, j) => [k, rest[half + j]!]) };
  }

  /** Waits until one of the keys gets an entry or the block time ends (0 = no limit). */
  private wait(keys: string[], blockMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        if (timer) clearTimeout(timer);
        for (const k of keys) this.events.off(k, done);
        resolve();
      };
      const timer = blockMs > 0 ? setTimeout(done, blockMs) : undefined;
      for (const k of keys) this.events.once(k, done);
    });
  }

  async xread(args: string[]): Promise<Reply> {
    const { opts, pairs } = MemoryStreams.streamsArgs(args);
    const count = opts.has('COUNT') ? Number(opts.get('COUNT')) : Infinity;
    // "$" means "after the newest entry now": fixed before blocking, as Redis does.
    const from = pairs.map(
      ([k, id]) => [k, id === '$' ? (this.streams.get(k)?.last ?? ZERO) : bound(id, false)] as const,
    );
    const collect = (): Reply => {
      const out: Reply[] = [];
      for (const [k, after] of from) {
        const hits = (this.streams.get(k)?.entries ?? []).filter((e) => cmp(e.id, after) > 0).slice(0, count);
        if (hits.length > 0) out.push([k, hits.map(wire)]);
      }
      return out.length > 0 ? out : null;
    };
    const now = collect();
    if (now !== null || !opts.has('BLOCK')) return now;
    await this.wait(
      pairs.map(([k]) => k),
      Number(opts.get('BLOCK')),
    );
    return collect();
  }

  async xreadgroup(args: string[]): Promise<Reply> {
    const { opts, pairs } = MemoryStreams.streamsArgs(args);
    const groupName = opts.get('GROUP');
    const consumer = opts.get('CONSUMER');
    if (!groupName || !consumer) throw new ReplyError('ERR Missing GROUP option for XREADGROUP');
    const count = opts.has('COUNT') ? Number(opts.get('COUNT')) : Infinity;
    for (const [k] of pairs) this.group(k, groupName, 'XREADGROUP');
    const collect = (): Reply => {
      const out: Reply[] = [];
      for (const [k, id] of pairs) {
        const { s, g } = this.group(k, groupName, 'XREADGROUP');
        g.consumers.add(consumer);
        if (id !== '>') {
          // History: this consumer's pending entries after the id (deleted ones as null).
          const after = parseId(id, 0n);
          const mine = [...g.pending]
            .filter(([pid, p]) => p.consumer === consumer && cmp(parseId(pid, 0n), after) > 0)
            .map(([pid]) => pid)
            .sort((a, b) => cmp(parseId(a, 0n), parseId(b, 0n)))
            .slice(0, count);
          out.push([
            k,
            mine.map((pid) => {
              // Re-delivery counts, as in Redis.
              const p = g.pending.get(pid)!;
              g.pending.set(pid, { ...p, deliveredAt: Date.now(), deliveries: p.deliveries + 1 });
              const e = this.find(s, pid);
              return e ? wire(e) : [pid, null];
            }),
          ]);
          continue;
        }
        const fresh = s.entries.filter((e) => cmp(e.id, g.lastDelivered) > 0).slice(0, count);
        if (fresh.length === 0) continue;
        g.lastDelivered = fresh[fresh.length - 1]!.id;
        g.entriesRead += fresh.length;
        if (!opts.has('NOACK'))
          for (const e of fresh)
            g.pending.set(str(e.id), { consumer, deliveredAt: Date.now(), deliveries: 1 });
        out.push([k, fresh.map(wire)]);
      }
      return out.length > 0 ? out : null;
    };
    const now = collect();
    const onlyNew = pairs.every(([, id]) => id === '>');
    if (now !== null || !onlyNew || !opts.has('BLOCK')) return now;
    await this.wait(
      pairs.map(([k]) => k),
      Number(opts.get('BLOCK')),
    );
    return collect();
  }

  xgroup([sub, key, name, id, ...rest]: string[]): string | number {
    const word = sub?.toUpperCase();
    if (word === 'CREATE') {
      const mk = rest.some((r) => r.toUpperCase() === 'MKSTREAM');
      const s = this.stream(key!, mk);
      if (!s)
        throw new ReplyError(
          'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
        );
      if (s.groups.has(name!)) throw new ReplyError('BUSYGROUP Consumer Group name already exists');
      s.groups.set(name!, {
        lastDelivered: id === '$' ? s.last : parseId(id!, 0n),
        pending: new Map(),
        consumers: new Set(),
        entriesRead: 0,
      });
      return 'OK';
    }
    if (word === 'DESTROY') return this.streams.get(key!)?.groups.delete(name!) ? 1 : 0;
    if (word === 'SETID') {
      this.group(key!, name!, 'XGROUP').g.lastDelivered =
        id === '$' ? this.streams.get(key!)!.last : parseId(id!, 0n);
      return 'OK';
    }
    throw new ReplyError(`ERR unknown subcommand '${sub}'`);
  }

  xack([key, name, ...ids]: string[]): number {
    const g = this.streams.get(key!)?.groups.get(name!);
    if (!g) return 0;
    let n = 0;
    for (const id of ids) if (g.pending.delete(str(parseId(id, 0n)))) n += 1;
    return n;
  }

  xpending([key, name, ...rest]: string[]): Reply {
    const { g } = this.group(key!, name!, 'XPENDING');
    const sorted = [...g.pending].sort(([a], [b]) => cmp(parseId(a, 0n), parseId(b, 0n)));
    if (rest.length === 0) {
      if (sorted.length === 0) return [0, null, null, null];
      const per = new Map<string, number>();
      for (const [, p] of sorted) per.set(p.consumer, (per.get(p.consumer) ?? 0) + 1);
      return [
        sorted.length,
        sorted[0]![0],
        sorted[sorted.length - 1]![0],
        // Redis lists the consumers by name.
        [...per].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, n]) => [c, String(n)]),
      ];
    }
    let minIdle = 0;
    if (rest[0]?.toUpperCase() === 'IDLE') {
      minIdle = Number(rest[1]);
      rest = rest.slice(2);
    }
    const [start, end, count, consumer] = rest;
    const lo = bound(start!, true);
    const hi = bound(end!, false);
    const now = Date.now();
    return sorted
      .filter(([id, p]) => {
        const at = parseId(id, 0n);
        return (
          cmp(at, lo) >= 0 &&
          cmp(at, hi) <= 0 &&
          (!consumer || p.consumer === consumer) &&
          now - p.deliveredAt >= minIdle
        );
      })
      .slice(0, Number(count))
      .map(([id, p]) => [id, p.consumer, now - p.deliveredAt, p.deliveries]);
  }

  xautoclaim([key, name, consumer, minIdle, start, ...rest]: string[]): Reply {
    const { s, g } = this.group(key!, name!, 'XAUTOCLAIM');
    let count = 100;
    let justId = false;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i]!.toUpperCase() === 'COUNT') count = Number(rest[++i]);
      else if (rest[i]!.toUpperCase() === 'JUSTID') justId = true;
    }
    const from = bound(start!, true);
    const sorted = [...g.pending]
      .filter(([id]) => cmp(parseId(id, 0n), from) >= 0)
      .sort(([a], [b]) => cmp(parseId(a, 0n), parseId(b, 0n)));
    const now = Date.now();
    const claimed: Reply[] = [];
    const deleted: string[] = [];
    let scanned = 0;
    for (const [id, p] of sorted) {
      if (scanned >= count) break;
      scanned += 1;
      if (now - p.deliveredAt < Number(minIdle)) continue;
      const entry = this.find(s, id);
      if (!entry) {
        g.pending.delete(id);
        deleted.push(id);
        continue;
      }
      g.consumers.add(consumer!);
      g.pending.set(id, {
        consumer: consumer!,
        deliveredAt: now,
        deliveries: p.deliveries + (justId ? 0 : 1),
      });
      claimed.push(justId ? id : wire(entry));
    }
    const next = sorted[scanned]?.[0] ?? '0-0';
    return [next, claimed, deleted];
  }

  xinfo([sub, key]: string[]): Reply {
    const s = this.streams.get(key!);
    if (!s) throw new ReplyError('ERR no such key');
    if (sub?.toUpperCase() === 'GROUPS')
      return [...s.groups].map(([name, g]) => [
        'name',
        name,
        'consumers',
        g.consumers.size,
        'pending',
        g.pending.size,
        'last-delivered-id',
        str(g.lastDelivered),
        'entries-read',
        g.entriesRead,
        'lag',
        s.entries.filter((e) => cmp(e.id, g.lastDelivered) > 0).length,
      ]);
    if (sub?.toUpperCase() === 'STREAM')
      return [
        'length',
        s.entries.length,
        'last-generated-id',
        str(s.last),
        'groups',
        s.groups.size,
        'entries-added',
        s.added,
      ];
    throw new ReplyError(`ERR unknown subcommand '${sub}'`);
  }
}
