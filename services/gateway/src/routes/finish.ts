// Once a model request is over (answered, failed or abandoned): settle the token
// reservation on actual usage, publish the audit event and record metrics. Both Redis writes
// are batched across requests, so the only per-request round trip is the limit check. The audit event is metadata only (never prompt or completion text).
import { auditActorOf, requestMeta, type AuditEventInput } from '@airlock/common';
import type { Request, Response } from 'express';
import { clientToolOf } from '../domain/client-tool.js';
import type { GatewayContext } from './context.js';
import { stateOf } from './request-state.js';

function outcomeOf(status: number): 'success' | 'failure' | 'denied' {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 429 ? 'denied' : 'failure';
}

function hasKeys(record: Record<string, number>): boolean {
  for (const _ in record) return true;
  return false;
}

export function finishOnClose(ctx: GatewayContext, res: Response, req: Request): void {
  res.once('close', () => {
    try {
      finish(ctx, req, res);
    } catch (e) {
      // An invalid audit event is a bug; it must not take the process down.
      ctx.logger.error(
        { err: (e as Error).message, requestId: req.id },
        'gateway request finalisation failed',
      );
    }
  });
}

function finish(ctx: GatewayContext, req: Request, res: Response): void {
  const state = stateOf(res);
  const latencyMs = performance.now() - state.startedAt;
  // A caller who hung up before the answer is recorded as 499 (client closed request).
  const status = res.writableFinished || res.headersSent ? res.statusCode : 499;
  const model = state.allowedModel ?? '-';
  const upstream = state.upstream ?? '-';
  const usage = state.usage;
  ctx.metrics.perRequest.request(state.endpoint, model, upstream, status, latencyMs / 1000);
  if (usage)
    ctx.metrics.perRequest.tokensUsed(model, upstream, usage.promptTokens ?? 0, usage.completionTokens ?? 0);
  // The audited model is the one the policy decided on; the caller's name too when an alias mapped it.
  const audited = (state.resolvedModel ?? state.model ?? '-').slice(0, 256);
  const requested =
    state.model !== undefined && state.resolvedModel !== undefined && state.model !== state.resolvedModel
      ? state.model.slice(0, 256)
      : undefined;
  const principal = state.principal;
  if (!principal?.orgId) return; // no org: nothing to audit against (401s are counted above)
  const redactions = state.redactions && hasKeys(state.redactions) ? state.redactions : undefined;
  const meta = requestMeta(req);
  const input: AuditEventInput<'ai.request'> = {
    action: 'ai.request',
    orgId: principal.orgId,
    actor: auditActorOf(principal),
    outcome: outcomeOf(status),
    target: { type: 'model', id: audited },
    // Field by field rather than spread: the same keys in the same order, one object fewer to copy.
    clientIp: meta.clientIp,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    details: {
      model: audited,
      requestedModel: requested,
      upstream: state.upstream,
      endpoint: state.endpoint,
      status,
      stream: state.stream,
      promptTokens: usage?.promptTokens,
      completionTokens: usage?.completionTokens,
      usageEstimated: usage ? usage.estimated : undefined,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      ttfbMs: state.ttfbMs === undefined ? undefined : Math.round(state.ttfbMs * 1000) / 1000,
      tokenId: principal.tokenId,
      redactions,
      errorCode: state.errorCode,
      clientTool: clientToolOf(req.get('user-agent')),
    },
  };
  const actual = usage ? (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0) : 0;
  // Nothing generated (refused, failed, abandoned before an answer): the reservation is given back.
  if (state.reserved) ctx.limits.settle(state.checks, state.reservedTokens, actual);
  // The shared publisher batches events into pipelined XADDs and spools them while Redis is down.
  ctx.audit.publish(input);
}
