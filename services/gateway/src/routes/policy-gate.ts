// The one policy decision point every model route passes: authenticated principal → body
// shape → authorize('use', 'Model') (no org, Redis outage, org policy, the role's model
// ability) → the model allowed for the role, privacy mode and destinations → rate limits and
// quotas (Redis, fail closed). Redaction and routing follow in the proxy. gatewayRoutes()
// mounts every MODEL_ROUTES entry behind it; route-abilities.test.ts checks that every /v1
// route declares its ability.
import { abilityOf, principalOf } from '@airlock/common';
import type { RequestHandler } from 'express';
import { DecisionCache, type Endpoint } from '../domain/decide.js';
import {
  limitChecks,
  limitRefusalMessage,
  rateLimitHeaders,
  reservationFor,
  retryAfterSeconds,
  writeRateLimitHeaders,
} from '../domain/limits.js';
import { gatewayErrors } from '../errors.js';
import type { GatewayContext } from './context.js';
import { finishOnClose } from './finish.js';
import { authorizeModelUse } from './model-ability.js';
import { initState, stateOf } from './request-state.js';

type Body = Record<string, unknown>;

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + textLength(v), 0);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return (
      textLength(o.content) +
      textLength(o.text) +
      textLength(o.arguments) +
      textLength(o.tool_calls) +
      textLength(o.function) +
      // Anthropic blocks: tool_use input, thinking text
      (o.input && typeof o.input === 'object' ? JSON.stringify(o.input).length : 0) +
      textLength(o.thinking) +
      textLength(o.output) // Responses function_call_output
    );
  }
  return 0;
}

/** Minimal shape checks; the upstream validates the rest of the OpenAI schema. */
function validate(
  endpoint: Endpoint,
  body: Body,
): { model: string; promptChars: number; maxTokens?: number } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw gatewayErrors.badRequest('the body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 256)
    throw gatewayErrors.badRequest('"model" must be a non-empty string');
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    throw gatewayErrors.badRequest('"stream" must be a boolean');
  if (endpoint === 'responses') return validateResponses(body, model);
  if (endpoint === 'messages' || endpoint === 'messages.count_tokens')
    return validateMessages(endpoint, body, model);
  const field =
    endpoint === 'chat.completions' ? 'messages' : endpoint === 'completions' ? 'prompt' : 'input';
  const value = body[field];
  if (endpoint === 'chat.completions' ? !Array.isArray(value) || value.length === 0 : value === undefined)
    throw gatewayErrors.badRequest(`"${field}" is required`);
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1))
    throw gatewayErrors.badRequest('"max_tokens" must be a positive integer');
  return {
    model,
    promptChars: textLength(value) + textLength(body.suffix),
    maxTokens: max as number | undefined,
  };
}

/** The Anthropic Messages shape: messages required, max_tokens required on /v1/messages. */
function validateMessages(
  endpoint: 'messages' | 'messages.count_tokens',
  body: Body,
  model: string,
): { model: string; promptChars: number; maxTokens?: number } {
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw gatewayErrors.badRequest('"messages" must be a non-empty array');
  // Claude Code sends its environment notes as a "system" message after the user's (with the
  // claude-*-5-5 models its opus/sonnet/haiku names resolve to): part of the API it speaks.
  for (const m of body.messages as unknown[]) {
    const role = (m as { role?: unknown } | null)?.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system')
      throw gatewayErrors.badRequest('each message needs "role" "user", "assistant" or "system"');
  }
  const max = body.max_tokens;
  if (endpoint === 'messages' && (typeof max !== 'number' || !Number.isInteger(max) || max < 1))
    throw gatewayErrors.badRequest('"max_tokens" must be a positive integer');
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system))
    throw gatewayErrors.badRequest('"system" must be a string or a list of text blocks');
  if (body.tools !== undefined && !Array.isArray(body.tools))
    throw gatewayErrors.badRequest('"tools" must be an array');
  return {
    model,
    promptChars:
      textLength(body.messages) +
      textLength(body.system) +
      (body.tools ? JSON.stringify(body.tools).length : 0),
    maxTokens: endpoint === 'messages' ? (max as number) : undefined,
  };
}

/** The OpenAI Responses shape: input (text or items), optional instructions and max_output_tokens. */
function validateResponses(
  body: Body,
  model: string,
): { model: string; promptChars: number; maxTokens?: number } {
  const input = body.input;
  if (typeof input !== 'string' && !(Array.isArray(input) && input.length > 0))
    throw gatewayErrors.badRequest('"input" must be a string or a non-empty array of items');
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string')
    throw gatewayErrors.badRequest('"instructions" must be a string');
  const max = body.max_output_tokens;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1))
    throw gatewayErrors.badRequest('"max_output_tokens" must be a positive integer');
  if (body.tools !== undefined && !Array.isArray(body.tools))
    throw gatewayErrors.badRequest('"tools" must be an array');
  return {
    model,
    promptChars:
      textLength(input) +
      textLength(body.instructions) +
      (body.tools ? JSON.stringify(body.tools).length : 0),
    maxTokens: typeof max === 'number' ? max : undefined,
  };
}

/** The gate's middleware, in order: what a model route runs before its own handler. */
export function policyGate(ctx: GatewayContext, endpoint: Endpoint): RequestHandler[] {
  return [gateInput(ctx, endpoint), authorizeModelUse(ctx), gateDecision(ctx, endpoint)];
}

/**
 * The request's state (audited when the answer closes, refusals included) and the body's
 * shape: a malformed request is a 400 before anything is refused or read.
 */
function gateInput(ctx: GatewayContext, endpoint: Endpoint): RequestHandler {
  return (req, res, next) => {
    const state = initState(req, res, endpoint);
    finishOnClose(ctx, res, req);
    try {
      state.principal = principalOf(req);
      const { model, promptChars, maxTokens } = validate(endpoint, req.body as Body);
      state.model = model;
      state.promptChars = promptChars;
      state.maxTokens = maxTokens;
      next();
    } catch (e) {
      next(e);
    }
  };
}

/** After authorize(): the policy decision on the same ability, then the limit reservation. */
function gateDecision(ctx: GatewayContext, endpoint: Endpoint): RequestHandler {
  const decisions = new DecisionCache((t) => ctx.upstreams.destinationAllowed(t));
  return async (req, res, next) => {
    const state = stateOf(res);
    try {
      const principal = state.principal!;
      const policy = state.policy!;
      state.decision = decisions.decide({ principal, policy, ability: abilityOf(req), model: state.model! });
      state.allowedModel = state.decision.model;
      const now = ctx.clock();
      const { promptChars, maxTokens } = state;
      // Counting tokens generates nothing: it counts as a request, not against token budgets.
      const tokens =
        endpoint === 'messages.count_tokens'
          ? 0
          : endpoint === 'embeddings'
            ? reservationFor(promptChars, 0)
            : reservationFor(promptChars, maxTokens ?? ctx.config.AIRLOCK_GATEWAY_DEFAULT_MAX_TOKENS);
      state.checks = limitChecks(principal, policy, tokens, now);
      state.reservedTokens = tokens;
      let verdict;
      try {
        verdict = await ctx.limits.reserve(state.checks, now);
      } catch (e) {
        ctx.metrics.limiterUnavailable.inc();
        ctx.logger.error({ err: (e as Error).message, requestId: req.id }, 'rate limiter unavailable');
        throw gatewayErrors.limiterUnavailable();
      }
      if (!verdict.allowed) {
        const blocked = verdict.blocked!;
        ctx.metrics.rateLimited.inc({ scope: blocked.scope, metric: blocked.metric });
        throw gatewayErrors.rateLimited(limitRefusalMessage(blocked), {
          ...rateLimitHeaders(state.checks, verdict, now),
          'Retry-After': String(retryAfterSeconds(blocked, now)),
        });
      }
      state.reserved = state.checks.length > 0;
      // Straight onto the response: no headers object per request.
      if (state.reserved) writeRateLimitHeaders(res, state.checks, verdict, now);
      next();
    } catch (e) {
      next(e);
    }
  };
}
