// The gateway's router. Every /v1 request is authenticated (bearer API token or session
// cookie), with a throttle on addresses whose credentials keep failing; every model route is
// mounted from MODEL_ROUTES behind policyGate(), so it passes the policy gate, and every route
// declares its ability with authorize() (route-abilities.test.ts). Errors are rendered in the
// OpenAI envelope by common's handler.
import { AirlockError, isAirlockError, withAuthScopeOf, type DirectRoute } from '@airlock/common';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Endpoint } from '../domain/decide.js';
import { UPSTREAM_FAILURE_CODES } from '../errors.js';
import type { GatewayContext } from './context.js';
import { listModelsRoute } from './models.js';
import { policyGate } from './policy-gate.js';
import { countTokensRoute, foreignApiRoute } from './foreign-api.js';
import { ANTHROPIC_MESSAGES } from '../protocols/anthropic/index.js';
import { OPENAI_RESPONSES } from '../protocols/responses/index.js';
import { proxy } from './proxy.js';
import { anthropicError } from '../protocols/anthropic/errors.js';
import { stateOf } from './request-state.js';

/** Every model route, by path, with what serves it after the gate. Adding an API means adding a line here. */
export const MODEL_ROUTES: readonly {
  path: string;
  endpoint: Endpoint;
  handler: (ctx: GatewayContext) => RequestHandler;
}[] = [
  {
    path: '/v1/chat/completions',
    endpoint: 'chat.completions',
    handler: (ctx) => proxy(ctx, 'chat.completions'),
  },
  { path: '/v1/completions', endpoint: 'completions', handler: (ctx) => proxy(ctx, 'completions') },
  { path: '/v1/embeddings', endpoint: 'embeddings', handler: (ctx) => proxy(ctx, 'embeddings') },
  { path: '/v1/messages', endpoint: 'messages', handler: (ctx) => foreignApiRoute(ctx, ANTHROPIC_MESSAGES) },
  { path: '/v1/messages/count_tokens', endpoint: 'messages.count_tokens', handler: countTokensRoute },
  { path: '/v1/responses', endpoint: 'responses', handler: (ctx) => foreignApiRoute(ctx, OPENAI_RESPONSES) },
];

/** Paths that answer errors in Anthropic's envelope instead of OpenAI's. */
const ANTHROPIC_SURFACE = /^\/v1\/messages(\/|$|\?)/;

/**
 * Anthropic clients (Claude Code, @anthropic-ai/sdk) may send their key as x-api-key: it is
 * read as the bearer token when no Authorization header is present, and checked the same way.
 */
const apiKeyAsBearer: RequestHandler = (req, _res, next) => {
  const key = req.headers['x-api-key'];
  if (req.headers.authorization === undefined && typeof key === 'string')
    req.headers.authorization = `Bearer ${key}`;
  next();
};

/**
 * Authenticates, and throttles addresses that keep failing. The block applies only to
 * requests whose credential fails: a valid token is always served, so clients sharing an
 * address (an office NAT, or every user when no proxy is trusted) cannot lock each other out.
 */
function authenticateWithThrottle(ctx: GatewayContext): RequestHandler {
  // The admin IP allowlist is left to authorize(), whose data plane skips it: it guards the
  // management API, not model calls.
  const auth = ctx.access.authenticate(['api_token', 'session']);
  const handler: RequestHandler = (req, res, next) =>
    auth(req, res, (err?: unknown) => {
      if (!(isAirlockError(err) && err.code === 'unauthenticated')) return next(err);
      const ip = req.ip ?? 'unknown';
      const now = ctx.clock().getTime();
      const wait = ctx.failedAuth.blockedFor(ip, now);
      if (wait > 0) {
        return next(
          new AirlockError('rate_limited', 'too many failed authentication attempts from this address', {
            headers: { 'Retry-After': String(wait) },
          }),
        );
      }
      void ctx.failedAuth.recordFailure(ip, now).catch(() => undefined); // Redis down: refused anyway
      next(err);
    });
  return withAuthScopeOf(handler, auth);
}

function errorRenderer(ctx: GatewayContext): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const state = res.locals.gateway ? stateOf(res) : undefined;
    if (isAirlockError(err) && UPSTREAM_FAILURE_CODES.has(err.code) && err.cause) {
      // The cause's name only for redaction: a detector's error could quote the scanned text.
      const cause = err.cause as Error;
      ctx.logger.warn(
        {
          requestId: req.id,
          code: err.code,
          err: err.code === 'redaction_failed' ? cause?.name : cause?.message,
        },
        'gateway error',
      );
    }
    if (state && isAirlockError(err)) state.errorCode = err.code;
    else if (state) state.errorCode = 'internal_error';
    // Mid-stream the proxy has already ended the answer with an SSE error event.
    if (res.headersSent && isAirlockError(err) && UPSTREAM_FAILURE_CODES.has(err.code)) return;
    if (!res.headersSent && ANTHROPIC_SURFACE.test(req.originalUrl)) {
      if (!isAirlockError(err) || !err.expose)
        ctx.logger.error({ err: (err as Error)?.message, requestId: req.id }, 'request failed');
      const { status, headers, body } = anthropicError(err, req.id);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.status(status).json(body);
      return;
    }
    next(err); // common's handler renders AirlockErrors and hides everything else
  };
}

/**
 * The router, and the same handler instances as direct routes for the lean lane in front of
 * Express (common's http/direct-routes.ts): every model route and the model list.
 */
export function gatewayRoutes(ctx: GatewayContext): { router: Router; direct: DirectRoute[] } {
  const router = Router();
  const front = [apiKeyAsBearer, authenticateWithThrottle(ctx)];
  const renderError = errorRenderer(ctx);
  const direct: DirectRoute[] = [];
  router.use('/v1', ...front);
  for (const { path, endpoint, handler } of MODEL_ROUTES) {
    const handlers = [...policyGate(ctx, endpoint), handler(ctx)];
    router.post(path, ...handlers);
    direct.push({ method: 'POST', path, handlers: [...front, ...handlers], errorHandlers: [renderError] });
  }
  const models = listModelsRoute(ctx);
  router.get('/v1/models', ...models);
  direct.push({
    method: 'GET',
    path: '/v1/models',
    handlers: [...front, ...models],
    errorHandlers: [renderError],
  });
  // Codex tries a WebSocket on GET /v1/responses first; 426 makes it fall back to HTTP at once.
  // Mounted with use(), not as a route: it reaches no model, so it needs no policy gate and
  // declares no ability (it only refuses, after authentication).
  router.use('/v1/responses', (req, _res, next) => {
    if (req.method !== 'GET') return next();
    next(
      new AirlockError(
        'upgrade_required',
        'WebSocket is not served here; use POST /v1/responses (HTTP and SSE)',
      ),
    );
  });
  router.use(renderError);
  return { router, direct };
}
