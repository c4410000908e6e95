// POST /api/v1/access/explain: would this member (or role) be allowed this model, and why.
// Every answer comes from the gate's own code: evaluatePolicy() for the policy steps,
// limitChecks() and the limit script (commit off: nothing is consumed) for the limits, and the
// upstream client's breaker state for the upstream the proxy would try first.
import {
  AirlockError,
  authenticate,
  createAdminAddressCheck,
  defineAbilityFor,
  principalOf,
  subject,
  type Db,
  type Principal,
} from '@airlock/common';
import { Router } from 'express';
import { z } from 'zod';
import { evaluatePolicy, type Step } from '../domain/decide.js';
import {
  limitChecks,
  limitRefusalMessage,
  reservationFor,
  type LimitCheck,
  type LimitVerdict,
} from '../domain/limits.js';
import { gatewayErrors } from '../errors.js';
import type { GatewayContext } from './context.js';

const bodySchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    userId: z.uuid().optional(),
    role: z.enum(['owner', 'admin', 'member', 'viewer']).optional(),
  })
  .refine((b) => b.userId === undefined || b.role === undefined, {
    message: 'give userId or role, not both',
    path: ['role'],
  });

/** Who is being explained: the caller, a member of the caller's org, or a bare role. */
async function subjectPrincipal(
  db: Db,
  caller: Principal,
  body: z.output<typeof bodySchema>,
): Promise<Principal> {
  const orgId = caller.orgId;
  if (!orgId) throw gatewayErrors.noOrg();
  const ability = defineAbilityFor(caller);
  const self = body.role === undefined && (body.userId === undefined || body.userId === caller.userId);
  if (self) return caller;
  // The same rule as the effective-policy API: admins and owners read anyone's, others their own.
  const target = body.userId === undefined ? { orgId } : { orgId, userId: body.userId };
  if (!ability.can('read', subject('EffectivePolicy', target))) {
    throw new AirlockError('forbidden', 'you may explain access only for yourself');
  }
  if (body.role !== undefined) {
    return { ...caller, kind: 'session', userId: null, email: null, role: body.role, tokenId: undefined };
  }
  const membership = await db.inOrg(orgId, (tx) =>
    tx.membership.findUnique({
      where: { orgId_userId: { orgId, userId: body.userId! } },
      select: { role: true, user: { select: { email: true } } },
    }),
  );
  if (!membership) throw new AirlockError('not_found', 'no such member in this organisation');
  return {
    kind: 'session',
    userId: body.userId!,
    email: membership.user.email,
    orgId,
    role: membership.role,
    isPlatformAdmin: false,
    expiresAt: null,
  };
}

/**
 * One limit and its current usage. The script answers usage including this request's share
 * for the checks it passed, and without it for the one that refused (later ones it never read).
 */
function limitLine(c: LimitCheck, i: number, verdict: LimitVerdict): string {
  const blockedAt = verdict.blocked ? verdict.used.length - 1 : Infinity;
  const used = verdict.used[i];
  const current =
    used === undefined || i > blockedAt ? undefined : i === blockedAt ? used : Math.max(0, used - c.amount);
  const window = c.window === 'month' ? 'month' : 'minute';
  return `${c.scope} ${c.metric}/${window} ${c.limit}${current === undefined ? '' : `, ${current} used`}`;
}

export function accessExplainRouter(ctx: GatewayContext, db: Db): Router {
  const router = Router();
  const auth = authenticate({
    resolver: ctx.resolver,
    accept: ['session', 'api_token'],
    secureCookies: ctx.secureCookies,
    adminAddresses: createAdminAddressCheck({ db, policies: ctx.policies, logger: ctx.logger }),
  });
  // The whole prefix is authenticated, so an unknown path under it is a 401, not a 404.
  router.use('/api/v1/access', auth);
  router.post('/api/v1/access/explain', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const parsed = bodySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new AirlockError('validation_failed', 'the request body is invalid', {
        details: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
      });
    }
    const body = parsed.data;
    const principal = await subjectPrincipal(db, principalOf(req), body);
    const { version, policy } = await ctx.policies.get(principal.orgId!);
    const evaluation = evaluatePolicy({
      principal,
      policy,
      policyVersion: version,
      model: body.model,
      destinationAllowed: (t) => ctx.upstreams.destinationAllowed(t),
    });
    const steps: Step[] = [...evaluation.steps];
    let refusal = evaluation.refusal;
    const candidates = evaluation.decision?.candidates ?? [];

    if (!refusal) {
      const now = ctx.clock();
      // A request with an empty prompt and the default completion budget: what every call takes at least.
      const tokens = reservationFor(0, ctx.config.AIRLOCK_GATEWAY_DEFAULT_MAX_TOKENS);
      // A bare role has no person: per-user counters would be nobody's.
      const checks = limitChecks(principal, policy, tokens, now).filter(
        (c) => principal.userId !== null || c.scope !== 'user',
      );
      if (checks.length === 0) {
        steps.push({ id: 'limits', outcome: 'pass', message: 'no rate limits or quotas apply' });
      } else if (ctx.redis.status !== 'ready') {
        refusal = gatewayErrors.limiterUnavailable();
      } else {
        try {
          const verdict = await ctx.limits.peek(checks, now);
          const lines = checks.map((c, i) => limitLine(c, i, verdict)).join('; ');
          if (verdict.allowed) {
            steps.push({ id: 'limits', outcome: 'pass', message: `within limits: ${lines}` });
          } else {
            refusal = gatewayErrors.rateLimited(limitRefusalMessage(verdict.blocked!), {});
            steps.push({
              id: 'limits',
              outcome: 'fail',
              message: `${refusal.message}: ${lines}`,
              code: refusal.code,
            });
          }
        } catch {
          refusal = gatewayErrors.limiterUnavailable();
        }
      }
      if (refusal && steps[steps.length - 1]?.id !== 'limits') {
        steps.push({ id: 'limits', outcome: 'fail', message: refusal.message, code: refusal.code });
      }
    }

    // The proxy tries the candidates in order and skips those whose circuit is open.
    const usable = candidates.find((c) => ctx.upstreams.breakerState(c.target) !== 'open');
    if (!refusal) {
      if (usable) {
        const fallbacks = candidates.filter((c) => c !== usable).map((c) => c.target.name);
        steps.push({
          id: 'upstream_available',
          outcome: 'pass',
          message:
            `sent to ${usable.target.name} as "${usable.target.upstreamModel}"` +
            (usable.redact ? ', redacted' : '') +
            (fallbacks.length > 0 ? `; fallbacks: ${fallbacks.join(', ')}` : ''),
        });
      } else {
        refusal = gatewayErrors.unavailable(
          `upstream "${candidates[0]!.target.name}" is unavailable (circuit open)`,
        );
        steps.push({
          id: 'upstream_available',
          outcome: 'fail',
          message: refusal.message,
          code: refusal.code,
        });
      }
    }

    const ORDER = [
      'role_ability',
      'model_allowed',
      'alias',
      'privacy_mode',
      'destination',
      'limits',
      'upstream_available',
    ] as const;
    for (const id of ORDER) {
      if (!steps.some((s) => s.id === id)) steps.push({ id, outcome: 'skip', message: 'not reached' });
    }
    const chosen = refusal ? undefined : usable?.target;
    res.json({
      allowed: refusal === undefined,
      model: body.model,
      resolvedModel: chosen?.upstreamModel ?? evaluation.resolvedModel,
      role: principal.role,
      upstream: chosen ? { name: chosen.name, kind: chosen.provider, cloud: chosen.kind === 'cloud' } : null,
      steps,
      ...(refusal ? { code: refusal.code } : {}),
    });
  });
  return router;
}
