// The limit store's coalesced reservations: a turn's reservations for one org go to Redis as
// one script call, and must give exactly what the same calls made one by one give. Own Redis
// (its command counts are this suite's alone; stopping it disturbs no other suite).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { openRedis, policySchema, redisReadyOrTimeout, type Principal } from '@airlock/common';
import { startRedis, waitFor, type ServerProcess } from '@airlock/common/testing';
import { limitChecks, type LimitCheck, type LimitVerdict } from '../../src/domain/limits.js';
import { createLimitStore, MAX_BATCH, type LimitStore } from '../../src/store/limits.js';

const policy = policySchema.parse({
  limits: {
    perUser: { requestsPerMinute: 5, tokensPerMinute: 100 },
    perOrg: { requestsPerMinute: 6 },
    monthlyQuota: { perOrg: { tokens: 150 } },
  },
});
const principal = (orgId: string, userId: string): Principal => ({
  kind: 'api_token',
  userId,
  email: null,
  orgId,
  role: 'member',
  isPlatformAdmin: false,
  expiresAt: null,
});
const t0 = new Date(Date.UTC(2026, 10, 25, 14, 0, 15));
const t1 = new Date(Date.UTC(2026, 10, 25, 14, 1, 5)); // the next minute: t0's window is its previous
const m0 = Math.floor(t0.getTime() / 60_000);

/**
 * A sequence with refusals in the middle (a user's tokens, the org's month quota) followed by
 * requests that fit, and a minute change whose previous window is the one the batch filled.
 */
const SEQUENCE: { user: string; tokens: number; at: Date }[] = [
  { user: 'u1', tokens: 30, at: t0 },
  { user: 'u1', tokens: 80, at: t0 }, // u1 tokens 110 > 100: refused
  { user: 'u2', tokens: 50, at: t0 },
  { user: 'u1', tokens: 60, at: t0 }, // u1 tokens 90
  { user: 'u2', tokens: 40, at: t0 }, // org month 180 > 150: refused
  { user: 'u2', tokens: 10, at: t0 }, // org month 150
  { user: 'u1', tokens: 0, at: t1 }, // takes a request, no tokens
  { user: 'u1', tokens: 20, at: t1 }, // u1 tokens floor(90 × 55/60) + 20 = 102 > 100: refused
  { user: 'u2', tokens: 0, at: t1 }, // org requests floor(4 × 55/60) + 2 = 5
  { user: 'u1', tokens: 0, at: t1 }, // org requests 6
  { user: 'u2', tokens: 0, at: t1 }, // org requests 7 > 6: refused
];

type Outcome = { allowed: boolean; used: number[]; blocked?: string };
const outcome = (v: LimitVerdict): Outcome => ({
  allowed: v.allowed,
  used: v.used,
  ...(v.blocked ? { blocked: `${v.blocked.scope}:${v.blocked.metric}:${v.blocked.window}` } : {}),
});
const checksOf = (orgId: string, r: (typeof SEQUENCE)[number]): LimitCheck[] =>
  limitChecks(principal(orgId, r.user), policy, r.tokens, r.at);

/** Every counter of an org, by key with the org left out, and whether each expires. */
async function counters(redis: Redis, orgId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await redis.keys(`airlock:gw:rl:{${orgId}}*`)) {
    const ttl = await redis.pttl(key);
    out[key.replace(orgId, 'ORG')] = `${await redis.get(key)} ${ttl > 0 ? 'expires' : `pttl ${ttl}`}`;
  }
  return out;
}

/** Script calls the server has run (EVAL the first time on a connection, EVALSHA after). */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

async function noScriptErrors(redis: Redis): Promise<number> {
  return Number(/^errorstat_NOSCRIPT:count=(\d+)/m.exec(await redis.info('errorstats'))?.[1] ?? 0);
}

async function oneByOne(store: LimitStore, orgId: string): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const r of SEQUENCE) out.push(outcome(await store.reserve(checksOf(orgId, r), r.at)));
  return out;
}

/** The whole sequence issued in one turn: one batch. */
async function inOneTurn(store: LimitStore, orgId: string): Promise<Outcome[]> {
  return (await Promise.all(SEQUENCE.map((r) => store.reserve(checksOf(orgId, r), r.at)))).map(outcome);
}

const EXPECTED_ALLOWED = [true, false, true, true, false, true, true, false, true, true, false];

describe('coalesced limit reservations (own Redis)', () => {
  let server: ServerProcess;
  let redis: Redis;
  let admin: Redis;
  let store: LimitStore;

  beforeAll(async () => {
    server = await startRedis();
    // Configured like the gateway's own connection.
    redis = new Redis(server.url, { enableAutoPipelining: true, enableOfflineQueue: false });
    admin = new Redis(server.url);
    await redisReadyOrTimeout(redis, 10_000);
    await admin.ping();
    store = createLimitStore(redis);
  }, 30_000);
  afterAll(async () => {
    redis?.disconnect();
    admin?.disconnect();
    await server?.destroy();
  });

  it('gives the same verdicts and counters in one script call as one by one in the same order', async () => {
    const sequential = await oneByOne(store, 'org-seq');
    const before = await scriptCalls(admin);
    const batched = await inOneTurn(store, 'org-batch');
    expect(await scriptCalls(admin)).toBe(before + 1);
    expect(sequential.map((o) => o.allowed)).toEqual(EXPECTED_ALLOWED);
    expect(batched).toEqual(sequential);
    // At a refusal, the refusing check's used is the usage without this request.
    expect(sequential[1]).toEqual({ allowed: false, used: [2, 30], blocked: 'user:tokens:minute' });
    expect(sequential[4]!.blocked).toBe('org:tokens:month');
    expect(sequential[10]!.blocked).toBe('org:requests:minute');
    const counted = await counters(admin, 'org-seq');
    expect(await counters(admin, 'org-batch')).toEqual(counted);
    // Refused requests took nothing: u1's tokens are the 30 + 60 that passed, the month 150.
    expect(counted[`airlock:gw:rl:{ORG}:user:u1:tokens:${m0}`]).toBe('90 expires');
    expect(counted['airlock:gw:rl:{ORG}:org:all:tokens:q:2026-11']).toBe('150 expires');
    // A reservation of 0 tokens still writes its (expiring) window key, as one by one.
    expect(counted[`airlock:gw:rl:{ORG}:user:u1:tokens:${m0 + 1}`]).toBe('0 expires');
  });

  it('splits a turn over MAX_BATCH reservations into several calls, still in order', async () => {
    const tight = policySchema.parse({ limits: { perOrg: { requestsPerMinute: MAX_BATCH + 1 } } });
    const p = principal('org-many', 'u1');
    const before = await scriptCalls(admin);
    const verdicts = await Promise.all(
      Array.from({ length: MAX_BATCH + 6 }, () => store.reserve(limitChecks(p, tight, 1, t0), t0)),
    );
    expect(await scriptCalls(admin)).toBe(before + 2);
    expect(verdicts.map((v) => v.allowed)).toEqual(
      Array.from({ length: MAX_BATCH + 6 }, (_, i) => i < MAX_BATCH + 1),
    );
    expect(verdicts.map((v) => v.used[0])).toEqual(
      Array.from({ length: MAX_BATCH + 6 }, (_, i) => Math.min(i + 1, MAX_BATCH + 1)),
    );
  });

  it('sends each org its own call (one Cluster slot per call)', async () => {
    const before = await scriptCalls(admin);
    const verdicts = await Promise.all(
      ['org-a', 'org-b', 'org-a'].map((org) => store.reserve(checksOf(org, SEQUENCE[0]!), t0)),
    );
    expect(await scriptCalls(admin)).toBe(before + 2);
    expect(verdicts.map((v) => v.used)).toEqual([
      [1, 30, 1, 30],
      [1, 30, 1, 30],
      [2, 60, 2, 60],
    ]);
  });

  it('peeks without taking anything', async () => {
    const checks = checksOf('org-seq', { user: 'u2', tokens: 5, at: t1 });
    const before = await counters(admin, 'org-seq');
    const verdict = await store.peek(checks, t1);
    // As the last request of the sequence: the org's requests this minute are used up.
    expect(outcome(verdict)).toEqual({ allowed: false, used: [3, 60, 6], blocked: 'org:requests:minute' });
    expect(await counters(admin, 'org-seq')).toEqual(before);
    const fits = await store.peek(checksOf('org-fresh', { user: 'u2', tokens: 5, at: t1 }), t1);
    expect(fits).toEqual({ allowed: true, used: [1, 5, 1, 5] });
    expect(await admin.keys('airlock:gw:rl:{org-fresh}*')).toEqual([]);
  });

  it('fails every request of a batch on a script error, and the batch takes nothing', async () => {
    // A counter that is not a number (here a hash) fails the script's read.
    await admin.hset(`airlock:gw:rl:{org-err}:user:bad:requests:${m0}`, 'x', '1');
    const results = await Promise.allSettled([
      store.reserve(checksOf('org-err', SEQUENCE[0]!), t0),
      store.reserve(checksOf('org-err', { ...SEQUENCE[0]!, user: 'bad' }), t0),
      store.reserve(checksOf('org-err', SEQUENCE[2]!), t0),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(await admin.keys('airlock:gw:rl:{org-err}*')).toEqual([
      `airlock:gw:rl:{org-err}:user:bad:requests:${m0}`,
    ]);
    // Only that batch: the next one reserves again.
    expect((await store.reserve(checksOf('org-err', SEQUENCE[0]!), t0)).allowed).toBe(true);
  });

  it('reloads the script after the server lost it (NOSCRIPT) for a whole batch', async () => {
    await store.reserve(checksOf('org-loaded', SEQUENCE[0]!), t0); // the connection has sent it
    await admin.script('FLUSH');
    const refused = await noScriptErrors(admin);
    const verdicts = await Promise.all([
      store.reserve(checksOf('org-reload', SEQUENCE[0]!), t0),
      store.reserve(checksOf('org-reload', SEQUENCE[2]!), t0),
    ]);
    expect(verdicts.map(outcome)).toEqual([
      { allowed: true, used: [1, 30, 1, 30] },
      { allowed: true, used: [1, 50, 2, 80] },
    ]);
    // The batch really was refused once and sent again with the script itself.
    expect(await noScriptErrors(admin)).toBe(refused + 1);
  });

  it('fails every request of a batch closed while Redis is down', async () => {
    await server.stop();
    await waitFor(() => redis.status !== 'ready');
    const results = await Promise.allSettled([
      store.reserve(checksOf('org-down', SEQUENCE[0]!), t0),
      store.reserve(checksOf('org-down', SEQUENCE[2]!), t0),
      store.reserve(checksOf('org-down', SEQUENCE[3]!), t0),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(store.peek(checksOf('org-down', SEQUENCE[0]!), t0)).rejects.toThrow();
  });
});

describe('coalesced limit reservations on the in-memory stand-in', () => {
  it('gives the same verdicts in one call as one by one', async () => {
    const handle = openRedis({ nodeEnv: 'test', commandTimeoutMs: 1_000 });
    try {
      const store = createLimitStore(handle.client);
      const sequential = await oneByOne(store, 'mem-seq');
      expect(sequential.map((o) => o.allowed)).toEqual(EXPECTED_ALLOWED);
      expect(await inOneTurn(store, 'mem-batch')).toEqual(sequential);
    } finally {
      await handle.close();
    }
  });
});
