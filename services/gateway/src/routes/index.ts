// The gateway's router. Every /v1 request is authenticated (bearer API token or session
// cookie) after the failed-auth throttle; every model route is built by modelRoute(), so
// it passes the policy gate. Errors are rendered in the OpenAI envelope.
import { AirlockError, authenticate, isAirlockError } from '@airlock/common';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Endpoint } from '../domain/decide.js';
import { GatewayError } from '../errors.js';
import type { GatewayContext } from './context.js';
import { listModelsRoute } from './models.js';
import { policyGate } from './policy-gate.js';
import { proxy } from './proxy.js';
import { stateOf } from './request-state.js';

/** Every model route, by path. Adding an API means adding a line here. */
export const MODEL_ROUTES: readonly { path: string; endpoint: Endpoint }[] = [
  { path: '/v1/chat/completions', endpoint: 'chat.completions' },
  { path: '/v1/completions', endpoint: 'completions' },
  { path: '/v1/embeddings', endpoint: 'embeddings' },
];

function failedAuthThrottle(ctx: GatewayContext): RequestHandler {
  return (req, _res, next) => {
    const wait = ctx.failedAuth.blockedFor(req.ip ?? 'unknown', ctx.clock().getTime());
    if (wait > 0) {
      return next(
        new AirlockError('rate_limited', 'too many failed authentication attempts from this address', {
          headers: { 'Retry-After': String(wait) },
        }),
      );
    }
    next();
  };
}

function errorRenderer(ctx: GatewayContext): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const state = res.locals.gateway ? stateOf(res) : undefined;
    if (isAirlockError(err) && err.code === 'unauthenticated') {
      void ctx.failedAuth.recordFailure(req.ip ?? 'unknown', ctx.clock().getTime()).catch(() => undefined); // Redis down: the request is refused anyway
    }
    if (err instanceof GatewayError) {
      if (state) state.errorCode = err.code;
      if (res.headersSent) return;
      if (err.status >= 500 && err.cause)
        ctx.logger.warn(
          { requestId: req.id, code: err.code, err: (err.cause as Error).message },
          'gateway error',
        );
      for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
      res.status(err.status).json({
        error: {
          code: err.code,
          message: err.message,
          type: err.status === 429 ? 'rate_limit_error' : 'api_error',
          request_id: req.id,
        },
      });
      return;
    }
    if (state && isAirlockError(err)) state.errorCode = err.code;
    else if (state) state.errorCode = 'internal_error';
    next(err); // common's handler renders AirlockErrors and hides everything else
  };
}

export function gatewayRouter(ctx: GatewayContext): Router {
  const router = Router();
  router.use(
    '/v1',
    failedAuthThrottle(ctx),
    authenticate({
      resolver: ctx.resolver,
      accept: ['api_token', 'session'],
      secureCookies: ctx.secureCookies,
    }),
  );
  for (const { path, endpoint } of MODEL_ROUTES) {
    router.post(path, policyGate(ctx, endpoint), proxy(ctx, endpoint));
  }
  router.get('/v1/models', listModelsRoute(ctx));
  router.use(errorRenderer(ctx));
  return router;
}
