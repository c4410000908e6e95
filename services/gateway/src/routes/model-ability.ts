// The authorize() step of every /v1 route: the caller's role's model ability from the org
// policy (domain/decide.ts's roleModelAbility, cached per org|policy version|role). The gate's
// role_ability and model_allowed steps and the model list ask this same ability
// (abilityOf(req)), so there is one source of model rules. authorize() raises the standard
// no_org for an org-less credential; the data plane skips the admin IP allowlist.
import type { Principal } from '@airlock/common';
import type { Request, RequestHandler } from 'express';
import { resolveModel, roleModelAbility } from '../domain/decide.js';
import { gatewayErrors } from '../errors.js';
import type { GatewayContext } from './context.js';
import { stateOf } from './request-state.js';

/** Reads the org policy into the request's state and returns the role's model ability. */
async function loadModelAbility(ctx: GatewayContext, req: Request, principal: Principal) {
  // authorize() has refused an org-less principal before asking for its ability.
  const orgId = principal.orgId!;
  const { version, policy } = await ctx.policies.get(orgId);
  stateOf(req.res!).policy = policy;
  return roleModelAbility(principal, policy, version);
}

/** Model routes: 'use Model', after the body's shape is checked (policy-gate.ts's gateInput). */
export function authorizeModelUse(ctx: GatewayContext): RequestHandler {
  return ctx.access.authorize('use', 'Model', {
    plane: 'data',
    ability: async (req, principal) => {
      // Fail closed on a known outage without waiting for a command to time out, for every
      // org: limits, quotas and the failed-auth throttle all live in Redis. Checked before
      // the policy is read and the role judged, as the gate always has.
      if (ctx.redis.status !== 'ready') {
        ctx.metrics.limiterUnavailable.inc();
        throw gatewayErrors.limiterUnavailable();
      }
      const ability = await loadModelAbility(ctx, req, principal);
      const state = stateOf(req.res!);
      // Known before the decision, so a refusal is audited under the model it was judged on.
      state.resolvedModel = resolveModel(state.policy!, state.model!);
      return ability;
    },
    // A role that may use no model at all (the role_ability step): refused for this model.
    refuse: (req) => gatewayErrors.modelForbidden(stateOf(req.res!).resolvedModel!),
  });
}

/** GET /v1/models: 'read Model' (every org role); the list holds only what 'use Model' grants. */
export function authorizeModelList(ctx: GatewayContext): RequestHandler {
  return ctx.access.authorize('read', 'Model', {
    plane: 'data',
    ability: (req, principal) => loadModelAbility(ctx, req, principal),
  });
}
