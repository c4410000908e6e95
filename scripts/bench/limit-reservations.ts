// Rate-limit reservations per second against a real Redis: C concurrent callers each build a
// request's limit checks (the bench policy's three: user requests and tokens, org requests per
// minute) and reserve them through the gateway's limit store, on a client configured as the
// gateway's own (auto-pipelined, no offline queue). Prints reservations/s, this process's CPU
// µs per reservation and the mean wall time of one. Not a test: numbers depend on the machine.
//
//   source .devenv   # TEST_REDIS_URL
//   node_modules/.bin/tsx --conditions=@airlock/source scripts/bench/limit-reservations.ts \
//     [--seconds 3] [--connections 16,64]
// BENCH_GATEWAY_SRC=dir measures another copy of services/gateway/src (a baseline checkout).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { policySchema, redisReadyOrTimeout, type Principal } from '@airlock/common';
import type * as DomainLimits from '../../services/gateway/src/domain/limits.js';
import type * as StoreLimits from '../../services/gateway/src/store/limits.js';

const src = path.resolve(
  process.env.BENCH_GATEWAY_SRC ?? path.join(import.meta.dirname, '../../services/gateway/src'),
);
const { limitChecks } = (await import(path.join(src, 'domain/limits.ts'))) as typeof DomainLimits;
const { createLimitStore } = (await import(path.join(src, 'store/limits.ts'))) as typeof StoreLimits;

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, connections: { type: 'string', default: '16,64' } },
});
const url = process.env.TEST_REDIS_URL;
if (!url) throw new Error('TEST_REDIS_URL is required (source .devenv)');
const redis = new Redis(url, { enableAutoPipelining: true, enableOfflineQueue: false });
await redisReadyOrTimeout(redis, 5_000);
const store = createLimitStore(redis);
const orgId = `bench-${randomUUID()}`;
const principal: Principal = {
  kind: 'api_token',
  userId: 'bench-user',
  email: null,
  orgId,
  role: 'member',
  isPlatformAdmin: false,
  expiresAt: null,
};
const policy = policySchema.parse({
  limits: {
    perUser: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 },
    perOrg: { requestsPerMinute: 1_000_000_000 },
  },
});

async function measure(
  connections: number,
  ms: number,
): Promise<{ ops: number; cpuUs: number; wallMs: number }> {
  let ops = 0;
  let stop = false;
  const caller = async () => {
    while (!stop) {
      const now = new Date();
      const verdict = await store.reserve(limitChecks(principal, policy, 23, now), now);
      if (!verdict.allowed) throw new Error('refused: the bench limits are meant never to refuse');
      ops += 1;
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const timer = setTimeout(() => (stop = true), ms);
  await Promise.all(Array.from({ length: connections }, caller));
  clearTimeout(timer);
  const used = process.cpuUsage(cpu);
  return { ops, cpuUs: used.user + used.system, wallMs: performance.now() - started };
}

try {
  const seconds = Number(values.seconds);
  process.stdout.write('| callers | reservations/s | CPU µs/reservation | mean µs/reservation |\n');
  process.stdout.write('|---|---|---|---|\n');
  for (const c of values.connections.split(',').map(Number)) {
    await measure(c, 1000); // warm-up: JIT, script loaded
    const { ops, cpuUs, wallMs } = await measure(c, seconds * 1000);
    const perSecond = Math.round((ops / wallMs) * 1000);
    const cpuPer = (cpuUs / ops).toFixed(1);
    const meanUs = ((wallMs * 1000 * c) / ops).toFixed(0);
    process.stdout.write(`| ${c} | ${perSecond} | ${cpuPer} | ${meanUs} |\n`);
  }
} finally {
  const keys = await redis.keys(`airlock:gw:rl:{${orgId}}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
