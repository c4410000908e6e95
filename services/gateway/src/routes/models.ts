// GET /v1/models: only the models the caller's role may use, in OpenAI's list format.
import { abilityOf, principalOf } from '@airlock/common';
import type { RequestHandler } from 'express';
import { listModels } from '../domain/decide.js';
import type { GatewayContext } from './context.js';
import { finishOnClose } from './finish.js';
import { authorizeModelList } from './model-ability.js';
import { initState, stateOf } from './request-state.js';

/** The route's middleware and handler, in order (state first, so a refusal is recorded too). */
export function listModelsRoute(ctx: GatewayContext): RequestHandler[] {
  const start: RequestHandler = (req, res, next) => {
    const state = initState(req, res, 'models');
    finishOnClose(ctx, res, req);
    state.model = '-';
    try {
      state.principal = principalOf(req);
      next();
    } catch (e) {
      next(e);
    }
  };
  // Each name is checked as a request for it would be, on the ability authorize() set.
  const list: RequestHandler = (req, res) => {
    const state = stateOf(res);
    const names = listModels({
      principal: state.principal!,
      policy: state.policy!,
      ability: abilityOf(req),
      destinationAllowed: (t) => ctx.upstreams.destinationAllowed(t),
    });
    res.json({
      object: 'list',
      data: names.map((id) => ({ id, object: 'model', created: 0, owned_by: 'airlock' })),
    });
  };
  return [start, authorizeModelList(ctx), list];
}
