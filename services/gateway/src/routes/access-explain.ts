// POST /api/v1/access/explain: would this member (or role) be allowed this model, and why.
// Every answer comes from the gate's own code: evaluatePolicy() for the policy steps,
// limitChecks() and the limit script (commit off: nothing is consumed) for the limits, and the
// upstream client's breaker state for the upstream the proxy would try first (domain/explain.ts).
import { AirlockError, assertCan, principalOf, ROLES, type Db, type Principal } from '@airlock/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { evaluatePolicy, roleModelAbility, type Candidate, type Step } from '../domain/decide.js';
import { limitsStep, upstreamStep, withSkips } from '../domain/explain.js';
import { limitChecks, reservationFor } from '../domain/limits.js';
import { findMember } from '../store/members.js';
import type { GatewayContext } from './context.js';

const bodySchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    userId: z.uuid().optional(),
    role: z.enum(ROLES).optional(),
  })
  .refine((b) => b.userId === undefined || b.role === undefined, {
    message: 'give userId or role, not both',
    path: ['role'],
  });

/** Who is being explained: the caller, a member of the caller's org, or a bare role. */
async function subjectPrincipal(
  db: Db,
  req: Request,
  body: z.output<typeof bodySchema>,
): Promise<{ principal: Principal; deactivated: boolean }> {
  const caller = principalOf(req);
  // authorize() has refused an org-less caller.
  const orgId = caller.orgId!;
  const self = body.role === undefined && (body.userId === undefined || body.userId === caller.userId);
  if (self) return { principal: caller, deactivated: false };
  // The same rule as the effective-policy API: admins and owners read anyone's, others their own.
  const target = body.userId === undefined ? { orgId } : { orgId, userId: body.userId };
  assertCan(
    req,
    'read',
    'EffectivePolicy',
    target,
    () => new AirlockError('forbidden', 'you may explain access only for yourself'),
  );
  if (body.role !== undefined) {
    const principal: Principal = {
      kind: 'session',
      userId: null,
      email: null,
      orgId,
      role: body.role,
      isPlatformAdmin: false,
      expiresAt: null,
    };
    return { principal, deactivated: false };
  }
  const member = await findMember(db, orgId, body.userId!);
  if (!member) throw new AirlockError('not_found', 'no such member in this organisation');
  const principal: Principal = {
    kind: 'session',
    userId: body.userId!,
    email: member.email,
    orgId,
    role: member.role,
    isPlatformAdmin: false,
    expiresAt: null,
  };
  // A deactivated account's credentials stop at authentication, before any policy step.
  return { principal, deactivated: !member.active };
}

export function accessExplainRouter(ctx: GatewayContext, db: Db): Router {
  const router = Router();
  // The whole prefix is authenticated, so an unknown path under it is a 401, not a 404.
  router.use('/api/v1/access', ctx.access.authenticate(['session', 'api_token']));
  // A management route (the admin plane: the org's IP allowlist, before the body is read).
  // Everyone may explain their own access; whom else is the handler's assertCan().
  const explainAccess = ctx.access.authorize('read', 'EffectivePolicy');
  router.post('/api/v1/access/explain', explainAccess, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const parsed = bodySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new AirlockError('validation_failed', 'the request body is invalid', {
        details: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
      });
    }
    const body = parsed.data;
    const { principal, deactivated } = await subjectPrincipal(db, req, body);
    if (deactivated) {
      const refusal = new AirlockError(
        'unauthenticated',
        'this account is deactivated: its sessions and tokens do not work',
      );
      res.json({
        allowed: false,
        model: body.model,
        resolvedModel: body.model,
        role: principal.role,
        upstream: null,
        steps: withSkips([
          { id: 'role_ability', outcome: 'fail', message: refusal.message, code: refusal.code },
        ]),
        code: refusal.code,
      });
      return;
    }
    const { version, policy } = await ctx.policies.get(principal.orgId!);
    const evaluation = evaluatePolicy({
      principal,
      policy,
      // The explained principal's role's model ability: the one the gate would authorize with.
      ability: roleModelAbility(principal, policy, version),
      model: body.model,
      destinationAllowed: (t) => ctx.upstreams.destinationAllowed(t),
    });
    const steps: Step[] = [...evaluation.steps];
    let refusal = evaluation.refusal;
    let chosen: Candidate | undefined;
    if (!refusal) {
      const now = ctx.clock();
      // A request with an empty prompt and the default completion budget: what every call takes at least.
      const tokens = reservationFor(0, ctx.config.AIRLOCK_GATEWAY_DEFAULT_MAX_TOKENS);
      // A bare role has no person: per-user counters would be nobody's.
      const checks = limitChecks(principal, policy, tokens, now).filter(
        (c) => principal.userId !== null || c.scope !== 'user',
      );
      const verdict =
        checks.length === 0
          ? { allowed: true, used: [] }
          : ctx.redis.status !== 'ready'
            ? ('unavailable' as const)
            : await ctx.limits.peek(checks, now).catch(() => 'unavailable' as const);
      const limits = limitsStep(checks, verdict);
      steps.push(limits.step);
      refusal = limits.refusal;
    }
    if (!refusal) {
      const upstream = upstreamStep(
        evaluation.decision!.candidates,
        (c) => ctx.upstreams.breakerState(c.target) === 'open',
      );
      steps.push(upstream.step);
      refusal = upstream.refusal;
      chosen = upstream.chosen;
    }
    const target = refusal ? undefined : chosen?.target;
    res.json({
      allowed: refusal === undefined,
      model: body.model,
      resolvedModel: target?.upstreamModel ?? evaluation.resolvedModel,
      role: principal.role,
      upstream: target ? { name: target.name, kind: target.provider, cloud: target.kind === 'cloud' } : null,
      steps: withSkips(steps),
      ...(refusal ? { code: refusal.code } : {}),
    });
  });
  return router;
}
