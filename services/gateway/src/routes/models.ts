// GET /v1/models: only the models the caller's role may use, in OpenAI's list format.
import { principalOf } from '@airlock/common';
import type { RequestHandler } from 'express';
import { listModels } from '../domain/decide.js';
import type { GatewayContext } from './context.js';
import { finishOnClose } from './finish.js';
import { POLICY_GATE } from './policy-gate.js';
import { initState } from './request-state.js';

export function listModelsRoute(ctx: GatewayContext): RequestHandler {
  const handler: RequestHandler = async (req, res, next) => {
    const state = initState(req, res, 'models');
    finishOnClose(ctx, res, req);
    try {
      const principal = principalOf(req);
      state.principal = principal;
      state.model = '-';
      const { version, policy } = await ctx.policies.get(principal.orgId ?? '');
      const names = listModels({
        principal,
        policy,
        policyVersion: version,
        destinationAllowed: (t) => ctx.upstreams.destinationAllowed(t),
      });
      res.json({
        object: 'list',
        data: names.map((id) => ({ id, object: 'model', created: 0, owned_by: 'airlock' })),
      });
    } catch (e) {
      next(e);
    }
  };
  // Listing goes through the same ability check as use (listModels → mayUseModel).
  Object.defineProperty(handler, POLICY_GATE, { value: true });
  return handler;
}
