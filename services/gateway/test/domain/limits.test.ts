import { describe, expect, it } from '@jest/globals';
import { policySchema, type Principal } from '@airlock/common';
import {
  limitChecks,
  previousWeight,
  rateLimitHeaders,
  reservationFor,
  retryAfterSeconds,
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
