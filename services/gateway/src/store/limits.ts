// Rate limits and quotas in Redis, cluster-correct: one Lua script checks every applicable
// limit and, only when all pass, takes the request's share from each, atomically. Any
// number of gateway replicas share the same counters. Fails closed: a Redis error throws.
import type { Redis } from '@airlock/common';
import { previousWeight, type LimitCheck, type LimitVerdict } from '../domain/limits.js';

// KEYS: cur1, prev1, cur2, prev2, …  ARGV: weight, then per check: limit, amount, ttlMs.
// Sliding window: used = prev * weight + cur (prev skipped when prev == cur: month quotas).
const RESERVE = `
local w = tonumber(ARGV[1])
local n = #KEYS / 2
local used = {}
for i = 1, n do
  local cur = tonumber(redis.call('GET', KEYS[2*i-1]) or '0')
  local prev = 0
  if KEYS[2*i] ~= KEYS[2*i-1] then prev = tonumber(redis.call('GET', KEYS[2*i]) or '0') end
  local u = math.floor(prev * w) + cur
  local limit = tonumber(ARGV[2 + 3*(i-1)])
  local amount = tonumber(ARGV[3 + 3*(i-1)])
  if u + amount > limit then
    used[i] = u
    return {0, i, unpack(used)}
  end
  used[i] = u + amount
end
for i = 1, n do
  redis.call('INCRBY', KEYS[2*i-1], ARGV[3 + 3*(i-1)])
  redis.call('PEXPIRE', KEYS[2*i-1], ARGV[4 + 3*(i-1)])
end
return {1, 0, unpack(used)}
`;

type WithReserve = Redis & {
  airlockReserve(...args: (string | number)[]): Promise<number[]>;
};

export interface LimitStore {
  reserve(checks: readonly LimitCheck[], now: Date): Promise<LimitVerdict>;
  /** Commands that settle the token reservation on actual usage, for a caller's pipeline. */
  settleCommands(checks: readonly LimitCheck[], reserved: number, actual: number): [string, string, number][];
}

export function createLimitStore(redis: Redis): LimitStore {
  const client = redis as WithReserve;
  if (typeof client.airlockReserve !== 'function') {
    client.defineCommand('airlockReserve', { lua: RESERVE });
  }
  return {
    async reserve(checks, now) {
      if (checks.length === 0) return { allowed: true, used: [] };
      const keys = checks.flatMap((c) => [c.key, c.prevKey]);
      const args = [previousWeight(now), ...checks.flatMap((c) => [c.limit, c.amount, c.ttlMs])];
      const [ok, index, ...used] = await client.airlockReserve(keys.length, ...keys, ...args);
      return ok === 1 ? { allowed: true, used } : { allowed: false, used, blocked: checks[(index ?? 1) - 1] };
    },
    settleCommands(checks, reserved, actual) {
      const delta = actual - reserved;
      if (delta === 0) return [];
      return checks.filter((c) => c.metric === 'tokens').map((c) => ['incrby', c.key, delta]);
    },
  };
}
