// Rate limits and quotas in Redis, cluster-correct: one Lua script checks every applicable
// limit and, only when all pass, takes the request's share from each, atomically. Any
// number of gateway replicas share the same counters. Fails closed: a Redis error throws.
//
// Reservations issued in the same event-loop turn for the same org (one hash tag, so one
// Cluster slot) go to Redis as ONE script call that evaluates them in order, each against the
// counters as the ones before it left them: the verdicts and counters are those of the same
// calls made one by one in that order. A refused request takes nothing and does not stop the
// later ones. If the call fails (Redis down, a script error), every request in it fails closed;
// the script reads every counter before it writes any, so a failed read takes nothing.
import type { Redis } from '@airlock/common';
import { previousWeight, type LimitCheck, type LimitVerdict } from '../domain/limits.js';

// KEYS: per request, per check: cur, prev (the same key for month quotas).
// ARGV: commit (1 takes, 0 only answers: the access explainer), then per request: weight
// (of the previous minute window), number of checks, then per check: limit, amount, ttlMs.
// Sliding window: used = floor(prev * weight) + cur (prev skipped when prev == cur).
// Returns per request: 1, 0, used… (one per check) or 0, i (the refusing check), used… (i).
const RESERVE = `
local commit = ARGV[1] == '1'
local count = {}
local function get(key)
  local v = count[key]
  if v == nil then
    v = tonumber(redis.call('GET', key) or '0')
    count[key] = v
  end
  return v
end
local delta, ttl, touched = {}, {}, {}
local out = {}
local k, a = 1, 2
while a <= #ARGV do
  local w = tonumber(ARGV[a])
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  local at = #out
  out[at + 1] = 1
  out[at + 2] = 0
  local refused = false
  for i = 1, n do
    local cur = get(KEYS[k + 2*(i-1)])
    local prev = 0
    if KEYS[k + 2*(i-1) + 1] ~= KEYS[k + 2*(i-1)] then prev = get(KEYS[k + 2*(i-1) + 1]) end
    local u = math.floor(prev * w) + cur
    local limit = tonumber(ARGV[a + 3*(i-1)])
    local amount = tonumber(ARGV[a + 3*(i-1) + 1])
    if u + amount > limit then
      out[at + 1] = 0
      out[at + 2] = i
      out[at + 2 + i] = u
      refused = true
      break
    end
    out[at + 2 + i] = u + amount
  end
  if commit and not refused then
    for i = 1, n do
      local key = KEYS[k + 2*(i-1)]
      local amount = tonumber(ARGV[a + 3*(i-1) + 1])
      count[key] = count[key] + amount
      if delta[key] == nil then
        delta[key] = 0
        touched[#touched + 1] = key
      end
      delta[key] = delta[key] + amount
      ttl[key] = ARGV[a + 3*(i-1) + 2]
    end
  end
  k = k + 2*n
  a = a + 3*n
end
for _, key in ipairs(touched) do
  redis.call('INCRBY', key, string.format('%.0f', delta[key]))
  redis.call('PEXPIRE', key, ttl[key])
end
-- A table constructor: the in-memory stand-in returns only those as arrays.
return {unpack(out)}
`;

/** The most reservations one script call evaluates (bounds the script's run time). */
export const MAX_BATCH = 64;

type WithReserve = Redis & {
  airlockReserveBatch(numKeys: number, keys: string[], args: (string | number)[]): Promise<number[]>;
};

/** Reservations waiting for the end of the event-loop turn, for one org's hash tag. */
interface Batch {
  keys: string[];
  args: (string | number)[];
  checks: (readonly LimitCheck[])[];
  settle: { resolve: (v: LimitVerdict) => void; reject: (e: Error) => void }[];
}

export interface LimitStore {
  /**
   * Takes the request's share from every check if all pass. Coalesced with the other
   * reservations of this event-loop turn for the same org into one script call (see above).
   */
  reserve(checks: readonly LimitCheck[], now: Date): Promise<LimitVerdict>;
  /**
   * The verdict reserve() would give now, taking nothing: the same script with commit off.
   * `used` is then the usage including this request's share (as after a reservation).
   */
  peek(checks: readonly LimitCheck[], now: Date): Promise<LimitVerdict>;
  /**
   * Settles a token reservation on actual usage. Deltas are coalesced per key and written in
   * one pipeline every SETTLE_INTERVAL_MS, so settling costs no round trip per request.
   * If Redis is down the deltas are dropped: reservations then stay charged, which errs
   * on the strict side (a request rarely uses its whole max_tokens).
   */
  settle(checks: readonly LimitCheck[], reserved: number, actual: number): void;
  /** Writes pending settlements now (shutdown, tests). */
  flush(): Promise<void>;
}

export const SETTLE_INTERVAL_MS = 20;

export function createLimitStore(redis: Redis, onError: (e: Error) => void = () => undefined): LimitStore {
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [key, delta] of pending) if (delta !== 0) pipeline.incrby(key, delta);
    pending.clear();
    await pipeline.exec().catch((e: unknown) => onError(e as Error));
  }
  const client = redis as WithReserve;
  if (typeof client.airlockReserveBatch !== 'function') {
    client.defineCommand('airlockReserveBatch', { lua: RESERVE });
  }
  // The call goes through the client as configured (the gateway's is auto-pipelined): it then
  // shares the turn's socket write with the other commands (audit appends), which measured
  // cheaper in the gateway than a write of its own.
  const batches = new Map<string, Batch>();
  let scheduled = false;

  function add(batch: Batch, checks: readonly LimitCheck[], now: Date): void {
    batch.args.push(previousWeight(now), checks.length);
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      batch.keys.push(c.key, c.prevKey);
      batch.args.push(c.limit, c.amount, c.ttlMs);
    }
    batch.checks.push(checks);
  }

  /** One script call for a batch; the reply is split into each request's verdict. */
  function send(batch: Batch): void {
    const { checks, settle } = batch;
    let reply: Promise<number[]>;
    try {
      reply = client.airlockReserveBatch(batch.keys.length, batch.keys, batch.args);
    } catch (e) {
      reply = Promise.reject(e as Error);
    }
    reply.then(
      (out) => {
        let at = 0;
        for (let r = 0; r < checks.length; r++) {
          const ok = out[at];
          const index = out[at + 1]!;
          const n = ok === 1 ? checks[r]!.length : index;
          if ((ok !== 1 && ok !== 0) || !(n >= 0) || at + 2 + n > out.length) {
            // Nothing after this can be trusted to belong to its request: refuse them all.
            const e = new Error('the limit script returned a malformed reply');
            for (; r < checks.length; r++) settle[r]!.reject(e);
            return;
          }
          const used = out.slice(at + 2, at + 2 + n);
          at += 2 + n;
          settle[r]!.resolve(
            ok === 1 ? { allowed: true, used } : { allowed: false, used, blocked: checks[r]![index - 1] },
          );
        }
      },
      (e: unknown) => {
        for (const s of settle) s.reject(e as Error);
      },
    );
  }

  function sendAll(): void {
    scheduled = false;
    for (const batch of batches.values()) send(batch);
    batches.clear();
  }

  function reserve(checks: readonly LimitCheck[], now: Date): Promise<LimitVerdict> {
    if (checks.length === 0) return Promise.resolve({ allowed: true, used: [] });
    // Every key of a request carries its org's hash tag: batch by it (one Cluster slot each).
    const first = checks[0]!.key;
    const tag = first.slice(0, first.indexOf('}') + 1);
    let batch = batches.get(tag);
    if (!batch) {
      batch = { keys: [], args: ['1'], checks: [], settle: [] };
      batches.set(tag, batch);
    }
    add(batch, checks, now);
    const verdict = new Promise<LimitVerdict>((resolve, reject) => batch.settle.push({ resolve, reject }));
    if (batch.checks.length >= MAX_BATCH) {
      batches.delete(tag);
      send(batch);
    } else if (!scheduled) {
      scheduled = true;
      // After the I/O callbacks of this turn: the requests they started join the batch.
      setImmediate(sendAll);
    }
    return verdict;
  }

  /** peek: the same script for one request with commit off, sent on its own. */
  function peek(checks: readonly LimitCheck[], now: Date): Promise<LimitVerdict> {
    if (checks.length === 0) return Promise.resolve({ allowed: true, used: [] });
    const batch: Batch = { keys: [], args: ['0'], checks: [], settle: [] };
    add(batch, checks, now);
    const verdict = new Promise<LimitVerdict>((resolve, reject) => batch.settle.push({ resolve, reject }));
    send(batch);
    return verdict;
  }

  return {
    reserve,
    peek,
    settle(checks, reserved, actual) {
      const delta = actual - reserved;
      if (delta === 0) return;
      for (const c of checks)
        if (c.metric === 'tokens') pending.set(c.key, (pending.get(c.key) ?? 0) + delta);
      if (!timer && pending.size > 0) {
        timer = setTimeout(() => void flush(), SETTLE_INTERVAL_MS);
        timer.unref();
      }
    },
    flush,
  };
}
