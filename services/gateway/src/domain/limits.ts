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

/** Estimated tokens a request may use: about 4 characters a token, plus its completion budget. */
export function reservationFor(promptChars: number, maxTokens: number): number {
  return estimateTokens(promptChars) + maxTokens;
}

const MINUTE_TTL_MS = 2 * MINUTE_MS + 5_000;
const MONTH_TTL_MS = 32 * 24 * 3600 * 1000;

/** One limit that applies to a principal under a policy version: all but the window's keys. */
interface PlannedCheck {
  scope: Scope;
  metric: Metric;
  window: 'minute' | 'month';
  limit: number;
  /** Key up to the window id: `airlock:gw:rl:{org}:scope:id:metric:` (months add `q:`). */
  prefix: string;
  ttlMs: number;
  /** The window's keys and end, for the window `windowId` (a minute, or a month's start). */
  windowId: number;
  key: string;
  prevKey: string;
  resetAt: number;
}

/**
 * What limitChecks() derives from the policy and the principal, computed once per policy
 * version and principal: which limits apply, their key prefixes and TTLs, and the window keys
 * of the last minute and month seen (a request then concatenates no strings).
 */
interface LimitPlan {
  orgId: string | null;
  userId: string | null;
  role: string | null;
  checks: PlannedCheck[];
}

function buildPlan(principal: Principal, policy: Policy): LimitPlan {
  const orgId = principal.orgId!;
  // One hash tag per org: all of a request's keys share a Redis Cluster slot.
  const base = `airlock:gw:rl:{${orgId}}`;
  const checks: PlannedCheck[] = [];
  const add = (scope: Scope, id: string, metric: Metric, limit: number | undefined, month: boolean) => {
    if (limit === undefined) return;
    checks.push({
      scope,
      metric,
      window: month ? 'month' : 'minute',
      limit,
      prefix: `${base}:${scope}:${id}:${metric}:${month ? 'q:' : ''}`,
      ttlMs: month ? MONTH_TTL_MS : MINUTE_TTL_MS,
      windowId: Number.NaN,
      key: '',
      prevKey: '',
      resetAt: 0,
    });
  };
  const perMinute = (scope: Scope, id: string, limits: Policy['limits']['perUser']) => {
    if (!limits) return;
    add(scope, id, 'requests', limits.requestsPerMinute, false);
    add(scope, id, 'tokens', limits.tokensPerMinute, false);
  };
  perMinute('user', principal.userId ?? 'none', policy.limits.perUser);
  if (principal.role) perMinute('role', principal.role, policy.limits.perRole[principal.role]);
  perMinute('org', 'all', policy.limits.perOrg);
  const quota = (scope: Scope, id: string, q: { requests?: number; tokens?: number } | undefined) => {
    if (!q) return;
    add(scope, id, 'requests', q.requests, true);
    add(scope, id, 'tokens', q.tokens, true);
  };
  quota('user', principal.userId ?? 'none', policy.limits.monthlyQuota.perUser);
  quota('org', 'all', policy.limits.monthlyQuota.perOrg);
  return { orgId: principal.orgId, userId: principal.userId, role: principal.role, checks };
}

// Policies are immutable per version and principals are cached objects: a plan lives as long
// as both. The principal's identity fields are compared on every hit, so a plan is never used
// for a principal it was not built for.
const plans = new WeakMap<Policy, WeakMap<Principal, LimitPlan>>();

function planFor(principal: Principal, policy: Policy): LimitPlan {
  let byPrincipal = plans.get(policy);
  if (!byPrincipal) {
    byPrincipal = new WeakMap();
    plans.set(policy, byPrincipal);
  }
  let plan = byPrincipal.get(principal);
  if (
    !plan ||
    plan.orgId !== principal.orgId ||
    plan.userId !== principal.userId ||
    plan.role !== principal.role
  ) {
    plan = buildPlan(principal, policy);
    byPrincipal.set(principal, plan);
  }
  return plan;
}

/** Points a planned check at the window `now` falls in (only when that window changed). */
function toWindow(c: PlannedCheck, now: Date, minute: number): void {
  if (c.window === 'minute') {
    if (c.windowId === minute) return;
    c.windowId = minute;
    c.key = `${c.prefix}${minute}`;
    c.prevKey = `${c.prefix}${minute - 1}`;
    c.resetAt = (minute + 1) * MINUTE_MS;
    return;
  }
  const t = now.getTime();
  // A month's windowId is its start (NaN before the first request: never inside).
  if (t >= c.windowId && t < c.resetAt) return;
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  c.windowId = Date.UTC(year, month, 1);
  c.key = `${c.prefix}${year}-${String(month + 1).padStart(2, '0')}`;
  c.prevKey = c.key;
  c.resetAt = Date.UTC(year, month + 1, 1);
}

export function limitChecks(principal: Principal, policy: Policy, tokens: number, now: Date): LimitCheck[] {
  const planned = planFor(principal, policy).checks;
  const minute = Math.floor(now.getTime() / MINUTE_MS);
  const checks: LimitCheck[] = new Array<LimitCheck>(planned.length);
  for (let i = 0; i < planned.length; i++) {
    const c = planned[i]!;
    toWindow(c, now, minute);
    checks[i] = {
      scope: c.scope,
      metric: c.metric,
      window: c.window,
      limit: c.limit,
      amount: c.metric === 'requests' ? 1 : tokens,
      key: c.key,
      prevKey: c.prevKey,
      ttlMs: c.ttlMs,
      resetAt: c.resetAt,
    };
  }
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

/** Where rate-limit headers go: an HTTP response, or an object (rateLimitHeaders). */
export interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Writes the OpenAI-style x-ratelimit-* headers from the tightest minute limit of each metric
 * (the first of equals), requests before tokens; nothing for a metric without a minute limit.
 */
export function writeRateLimitHeaders(
  sink: HeaderSink,
  checks: readonly LimitCheck[],
  verdict: LimitVerdict,
  now: Date,
): void {
  let requests = -1;
  let requestsLeft = 0;
  let tokens = -1;
  let tokensLeft = 0;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    if (c.window !== 'minute') continue;
    const remaining = Math.max(0, c.limit - (verdict.used[i] ?? 0));
    if (c.metric === 'requests') {
      if (requests < 0 || remaining < requestsLeft) {
        requests = i;
        requestsLeft = remaining;
      }
    } else if (tokens < 0 || remaining < tokensLeft) {
      tokens = i;
      tokensLeft = remaining;
    }
  }
  const t = now.getTime();
  if (requests >= 0) {
    const c = checks[requests]!;
    sink.setHeader('x-ratelimit-limit-requests', String(c.limit));
    sink.setHeader('x-ratelimit-remaining-requests', String(requestsLeft));
    sink.setHeader('x-ratelimit-reset-requests', `${Math.max(1, Math.ceil((c.resetAt - t) / 1000))}s`);
  }
  if (tokens >= 0) {
    const c = checks[tokens]!;
    sink.setHeader('x-ratelimit-limit-tokens', String(c.limit));
    sink.setHeader('x-ratelimit-remaining-tokens', String(tokensLeft));
    sink.setHeader('x-ratelimit-reset-tokens', `${Math.max(1, Math.ceil((c.resetAt - t) / 1000))}s`);
  }
}

/** The same x-ratelimit-* headers as an object (a refusal carries them in its error). */
export function rateLimitHeaders(
  checks: readonly LimitCheck[],
  verdict: LimitVerdict,
  now: Date,
): Record<string, string> {
  const headers: Record<string, string> = {};
  writeRateLimitHeaders({ setHeader: (name, value) => (headers[name] = value) }, checks, verdict, now);
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
