// Per-request state the policy gate fills in and the proxy, the error handler and the
// audit/metrics finaliser read. Kept on res.locals, never on a shared object.
import type { GatewayErrorCode, Policy, Principal } from '@airlock/common';
import type { Request, Response } from 'express';
import type { Decision } from '../domain/decide.js';
import type { LimitCheck } from '../domain/limits.js';
import type { Usage } from '../domain/usage.js';

import type { Endpoint } from '../domain/decide.js';

export type GatewayEndpoint = Endpoint | 'models';

export interface RequestState {
  endpoint: GatewayEndpoint;
  startedAt: number;
  principal?: Principal;
  policy?: Policy;
  /** The model name the caller sent. */
  model?: string;
  /** The model a policy alias mapped `model` to (the one allowed, routed and audited). */
  resolvedModel?: string;
  /** The model label for metrics: set only once the model was allowed. */
  allowedModel?: string;
  stream: boolean;
  promptChars: number;
  /** The completion budget the caller asked for, if any (the limit reservation's). */
  maxTokens?: number;
  decision?: Decision;
  checks: LimitCheck[];
  reservedTokens: number;
  reserved: boolean;
  upstream?: string;
  ttfbMs?: number;
  usage?: Usage;
  redactions?: Record<string, number>;
  /** The audit event's errorCode: one of common's pinned gateway vocabulary. */
  errorCode?: GatewayErrorCode;
}

export function stateOf(res: Response): RequestState {
  return res.locals.gateway as RequestState;
}

export function initState(req: Request, res: Response, endpoint: GatewayEndpoint): RequestState {
  const body = (req.body ?? {}) as { stream?: unknown };
  const state: RequestState = {
    endpoint,
    startedAt: performance.now(),
    stream: body.stream === true,
    promptChars: 0,
    checks: [],
    reservedTokens: 0,
    reserved: false,
  };
  res.locals.gateway = state;
  return state;
}
