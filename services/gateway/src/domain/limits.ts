// Which limits apply to a request, from the org policy: requests/min and tokens/min per
// user, per role and per org (sliding window), and monthly quotas per user and per org.
// Tokens are reserved up front (estimated prompt + max_tokens) and settled on real usage.
import type { Policy, Principal } from '@airlock/common';
import { estimateTokens } from './usage.js';

export type Scope = 'user' | 'role' | 'org';
export type Metric = 'requests' | 'tokens';

export interface LimitCheck {
  scope: Scope;
  metric: Metric;
  window: 'minute' | 'month';
  limit: number;
  /** How much this request takes from it (tokens: the reservation). */
  amount: number;
  /** Redis keys: current and previous window (same key for months). */
  key: string;
  prevKey: string;
  ttlMs: number;
  /** When the current window ends (ms since epoch). */
  resetAt: number;
}

export const MINUTE_MS = 60_000;

function monthKey(now: Date): { id: string; end: number } {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return { id: `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`, end };
}

/** Estimated tokens a request may use: about 4 characters a token, plus its completion budget. */
export function reservationFor(promptChars: number, maxTokens: number): number {
  return estimateTokens(promptChars) + maxTokens;
}

export function limitChecks(principal: Principal, policy: Policy, tokens: number, now: Date): LimitCheck[] {
  const orgId = principal.orgId!;
  // One hash tag per org: all of a request's keys share a Redis Cluster slot.
  const base = `airlock:gw:rl:{${orgId}}`;
  const minute = Math.floor(now.getTime() / MINUTE_MS);
  const checks: LimitCheck[] = [];
  const perMinute = (scope: Scope, id: string, limits: Policy['limits']['perUser']) => {
    if (!limits) return;
    for (const metric of ['requests', 'tokens'] as const) {
      const limit = metric === 'requests' ? limits.requestsPerMinute : limits.tokensPerMinute;
      if (limit === undefined) continue;
      checks.push({
        scope,
        metric,
        window: 'minute',
        limit,
        amount: metric === 'requests' ? 1 : tokens,
        key: `${base}:${scope}:${id}:${metric}:${minute}`,
        prevKey: `${base}:${scope}:${id}:${metric}:${minute - 1}`,
        ttlMs: 2 * MINUTE_MS + 5_000,
        resetAt: (minute + 1) * MINUTE_MS,
      });
    }
  };
  perMinute('user', principal.userId ?? 'none', policy.limits.perUser);
  if (principal.role) perMinute('role', principal.role, policy.limits.perRole[principal.role]);
  perMinute('org', 'all', policy.limits.perOrg);
  const month = monthKey(now);
  const quota = (scope: Scope, id: string, q: { requests?: number; tokens?: number } | undefined) => {
    if (!q) return;
    for (const metric of ['requests', 'tokens'] as const) {
      const limit = q[metric];
      if (limit === undefined) continue;
      const key = `${base}:${scope}:${id}:${metric}:q:${month.id}`;
      checks.push({
        scope,
        metric,
        window: 'month',
        limit,
        amount: metric === 'requests' ? 1 : tokens,
        key,
        prevKey: key,
        ttlMs: 32 * 24 * 3600 * 1000,
        resetAt: month.end,
      });
    }
  };
  quota('user', principal.userId ?? 'none', policy.limits.monthlyQuota.perUser);
  quota('org', 'all', policy.limits.monthlyQuota.perOrg);
  return checks;
}

/** Fraction of the previous minute window still inside the sliding minute. */
export function previousWeight(now: Date): number {
  return 1 - (now.getTime() % MINUTE_MS) / MINUTE_MS;
}

export interface LimitVerdict {
  allowed: boolean;
  /** Usage after this request (or at refusal), per check, same order. */
  used: number[];
  /** The check that refused, if any. */
  blocked?: LimitCheck;
}

/** OpenAI-style x-ratelimit-* headers from the tightest minute limit of each metric. */
export function rateLimitHeaders(
  checks: readonly LimitCheck[],
  verdict: LimitVerdict,
  now: Date,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const metric of ['requests', 'tokens'] as const) {
    let best: { limit: number; remaining: number; resetAt: number } | undefined;
    checks.forEach((c, i) => {
      if (c.metric !== metric || c.window !== 'minute') return;
      const remaining = Math.max(0, c.limit - (verdict.used[i] ?? 0));
      if (!best || remaining < best.remaining) best = { limit: c.limit, remaining, resetAt: c.resetAt };
    });
    if (!best) continue;
    headers[`x-ratelimit-limit-${metric}`] = String(best.limit);
    headers[`x-ratelimit-remaining-${metric}`] = String(best.remaining);
    headers[`x-ratelimit-reset-${metric}`] =
      `${Math.max(1, Math.ceil((best.resetAt - now.getTime()) / 1000))}s`;
  }
  return headers;
}

export function retryAfterSeconds(check: LimitCheck, now: Date): number {
  return Math.max(1, Math.ceil((check.resetAt - now.getTime()) / 1000));
}

/** What the gate says when a limit refuses (the access explainer reports the same). */
export function limitRefusalMessage(blocked: LimitCheck): string {
  const what = blocked.window === 'month' ? 'monthly quota' : 'rate limit';
  return `${blocked.scope} ${blocked.metric} ${what} exceeded`;
}
