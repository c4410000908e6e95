// Rate limits and quotas in Redis, cluster-correct: one Lua script checks every applicable
// limit and, only when all pass, takes the request's share from each, atomically. Any
// number of gateway replicas share the same counters. Fails closed: a Redis error throws.
import type { Redis } from '@airlock/common';
import { previousWeight, type LimitCheck, type LimitVerdict } from '../domain/limits.js';

// KEYS: cur1, prev1, cur2, prev2, …  ARGV: weight, commit (1 takes, 0 only answers: the access
// explainer), then per check: limit, amount, ttlMs.
// Sliding window: used = prev * weight + cur (prev skipped when prev == cur: month quotas).
const RESERVE = `
local w = tonumber(ARGV[1])
local commit = ARGV[2] == '1'
local n = #KEYS / 2
local used = {}
for i = 1, n do
  local cur = tonumber(redis.call('GET', KEYS[2*i-1]) or '0')
  local prev = 0
  if KEYS[2*i] ~= KEYS[2*i-1] then prev = tonumber(redis.call('GET', KEYS[2*i]) or '0') end
  local u = math.floor(prev * w) + cur
  local limit = tonumber(ARGV[3 + 3*(i-1)])
  local amount = tonumber(ARGV[4 + 3*(i-1)])
  if u + amount > limit then
    used[i] = u
    return {0, i, unpack(used)}
  end
  used[i] = u + amount
end
if not commit then return {1, 0, unpack(used)} end
for i = 1, n do
  redis.call('INCRBY', KEYS[2*i-1], ARGV[4 + 3*(i-1)])
  redis.call('PEXPIRE', KEYS[2*i-1], ARGV[5 + 3*(i-1)])
end
return {1, 0, unpack(used)}
`;

type WithReserve = Redis & {
  airlockReserve(...args: (string | number)[]): Promise<number[]>;
};

export interface LimitStore {
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
  if (typeof client.airlockReserve !== 'function') {
    client.defineCommand('airlockReserve', { lua: RESERVE });
  }
  async function run(checks: readonly LimitCheck[], now: Date, commit: boolean): Promise<LimitVerdict> {
    if (checks.length === 0) return { allowed: true, used: [] };
    const keys = checks.flatMap((c) => [c.key, c.prevKey]);
    const args = [
      previousWeight(now),
      commit ? 1 : 0,
      ...checks.flatMap((c) => [c.limit, c.amount, c.ttlMs]),
    ];
    const [ok, index, ...used] = await client.airlockReserve(keys.length, ...keys, ...args);
    return ok === 1 ? { allowed: true, used } : { allowed: false, used, blocked: checks[(index ?? 1) - 1] };
  }
  return {
    reserve: (checks, now) => run(checks, now, true),
    peek: (checks, now) => run(checks, now, false),
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
