import { describe, expect, it } from '@jest/globals';
import { policySchema, type Principal } from '@airlock/common';
import {
  limitChecks,
  previousWeight,
  rateLimitHeaders,
  reservationFor,
  retryAfterSeconds,
  writeRateLimitHeaders,
} from '../../src/domain/limits.js';

const principal: Principal = {
  kind: 'api_token',
  userId: 'user-1',
  email: null,
  orgId: 'org-1',
  role: 'member',
  isPlatformAdmin: false,
  expiresAt: null,
};
const now = new Date(Date.UTC(2026, 10, 25, 14, 0, 15)); // 15 s into a minute

describe('limit checks from the policy', () => {
  const policy = policySchema.parse({
    limits: {
      perUser: { requestsPerMinute: 10, tokensPerMinute: 1000 },
      perRole: { member: { requestsPerMinute: 100 }, admin: { requestsPerMinute: 1 } },
      perOrg: { tokensPerMinute: 50_000 },
      monthlyQuota: { perOrg: { tokens: 1_000_000 } },
    },
  });
  const checks = limitChecks(principal, policy, 300, now);

  it('applies the user, role and org limits and the org quota, and only those configured', () => {
    expect(checks.map((c) => `${c.scope}:${c.metric}:${c.window}:${c.limit}`)).toEqual([
      'user:requests:minute:10',
      'user:tokens:minute:1000',
      'role:requests:minute:100',
      'org:tokens:minute:50000',
      'org:tokens:month:1000000',
    ]);
  });

  it('takes one request and the token reservation from each', () => {
    expect(checks.map((c) => c.amount)).toEqual([1, 300, 1, 300, 300]);
  });

  it('keeps every key of a request in one Redis Cluster slot (the org hash tag)', () => {
    for (const c of checks) expect(c.key.startsWith('airlock:gw:rl:{org-1}:')).toBe(true);
  });

  it('uses the current and previous minute for sliding windows, one key for a month', () => {
    const minute = checks[0]!;
    expect(minute.key).not.toBe(minute.prevKey);
    expect(minute.resetAt).toBe(Date.UTC(2026, 10, 25, 14, 1, 0));
    const month = checks[4]!;
    expect(month.key).toBe(month.prevKey);
    expect(month.key).toContain(':q:2026-11');
    expect(month.resetAt).toBe(Date.UTC(2026, 11, 1));
    expect(previousWeight(now)).toBeCloseTo(0.75);
  });

  it('reserves estimated prompt tokens plus the completion budget', () => {
    expect(reservationFor(400, 100)).toBe(200);
  });

  it('reports the tightest minute limit in x-ratelimit headers and a Retry-After to the window end', () => {
    const headers = rateLimitHeaders(checks, { allowed: true, used: [9, 100, 20, 400, 400] }, now);
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '45s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '900',
      'x-ratelimit-reset-tokens': '45s',
    });
    expect(retryAfterSeconds(checks[0]!, now)).toBe(45);
  });
});

describe('limit checks computed once per policy version and principal', () => {
  const policy = policySchema.parse({
    limits: { perUser: { requestsPerMinute: 10 }, monthlyQuota: { perUser: { requests: 100 } } },
  });

  it('follows the clock across minutes and months (and back) with the keys a fresh computation gives', () => {
    const times = [
      now,
      new Date(Date.UTC(2026, 10, 25, 14, 1, 0)), // next minute
      new Date(Date.UTC(2026, 10, 30, 23, 59, 59, 999)), // last ms of the month
      new Date(Date.UTC(2026, 11, 1)), // next month
      now, // a clock that went back
    ];
    for (const t of times) {
      const checks = limitChecks(principal, policy, 1, t);
      const minute = Math.floor(t.getTime() / 60_000);
      const month = `${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, '0')}`;
      expect(checks.map((c) => [c.key, c.prevKey, c.resetAt])).toEqual([
        [
          `airlock:gw:rl:{org-1}:user:user-1:requests:${minute}`,
          `airlock:gw:rl:{org-1}:user:user-1:requests:${minute - 1}`,
          (minute + 1) * 60_000,
        ],
        [
          `airlock:gw:rl:{org-1}:user:user-1:requests:q:${month}`,
          `airlock:gw:rl:{org-1}:user:user-1:requests:q:${month}`,
          Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1),
        ],
      ]);
    }
  });

  it('uses a new policy version’s limits and another principal’s own keys', () => {
    const next = policySchema.parse({ limits: { perUser: { requestsPerMinute: 3 } } });
    expect(limitChecks(principal, policy, 1, now).map((c) => c.limit)).toEqual([10, 100]);
    expect(limitChecks(principal, next, 1, now).map((c) => c.limit)).toEqual([3]);
    const other = { ...principal, userId: 'user-2', orgId: 'org-2' };
    expect(limitChecks(other, next, 1, now)[0]!.key).toContain('{org-2}:user:user-2:');
  });

  it('never reuses a plan for a principal whose identity changed in place', () => {
    const p = { ...principal };
    expect(limitChecks(p, policy, 1, now)[0]!.key).toContain(':user:user-1:');
    p.userId = 'user-3';
    expect(limitChecks(p, policy, 1, now)[0]!.key).toContain(':user:user-3:');
  });

  it('gives every request its own check objects with its own amount', () => {
    const a = limitChecks(
      principal,
      policySchema.parse({ limits: { perUser: { tokensPerMinute: 9 } } }),
      5,
      now,
    );
    const b = limitChecks(
      principal,
      policySchema.parse({ limits: { perUser: { tokensPerMinute: 9 } } }),
      7,
      now,
    );
    expect([a[0]!.amount, b[0]!.amount]).toEqual([5, 7]);
    expect(a[0]).not.toBe(b[0]);
  });
});

describe('rate-limit headers written straight onto a response', () => {
  const policy = policySchema.parse({
    limits: {
      perUser: { requestsPerMinute: 10, tokensPerMinute: 1000 },
      perOrg: { requestsPerMinute: 10, tokensPerMinute: 500 },
      monthlyQuota: { perOrg: { tokens: 5 } },
    },
  });
  const checks = limitChecks(principal, policy, 300, now);
  const written = (used: number[]) => {
    const set: [string, string][] = [];
    writeRateLimitHeaders(
      { setHeader: (name, value) => set.push([name, value]) },
      checks,
      { allowed: true, used },
      now,
    );
    return set;
  };

  it('writes the same names and values, in the same order, as the headers object', () => {
    const used = [4, 800, 4, 350, 5];
    expect(written(used)).toEqual(Object.entries(rateLimitHeaders(checks, { allowed: true, used }, now)));
    expect(written(used)).toEqual([
      ['x-ratelimit-limit-requests', '10'],
      ['x-ratelimit-remaining-requests', '6'], // a tie: the first (the user's)
      ['x-ratelimit-reset-requests', '45s'],
      ['x-ratelimit-limit-tokens', '500'], // the org's 150 left is tighter than the user's 200
      ['x-ratelimit-remaining-tokens', '150'],
      ['x-ratelimit-reset-tokens', '45s'],
    ]);
  });

  it('writes nothing for a metric with no minute limit, and never a negative remaining', () => {
    const quotaOnly = limitChecks(
      principal,
      policySchema.parse({ limits: { monthlyQuota: { perOrg: { tokens: 5 } } } }),
      1,
      now,
    );
    const set: string[] = [];
    writeRateLimitHeaders(
      { setHeader: (name) => set.push(name) },
      quotaOnly,
      { allowed: true, used: [1] },
      now,
    );
    expect(set).toEqual([]);
    expect(
      rateLimitHeaders(checks, { allowed: false, used: [11] }, now)['x-ratelimit-remaining-requests'],
    ).toBe('0');
  });
});
