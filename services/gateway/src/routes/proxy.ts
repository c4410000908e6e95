// After the policy gate: redact (when the chosen upstream needs it), route through the
// fallback chain, and relay the answer. Streams are relayed chunk by chunk, unbuffered; a
// caller hanging up aborts the upstream request; an upstream failing mid-stream becomes an
// SSE error event (never a made-up finish_reason or [DONE]).
import { upstreamStatusCode } from '@airlock/common';
import type { RequestHandler, Response } from 'express';
import { redactsFor } from '../domain/decide.js';
import { redactBody } from '../domain/redaction/redact.js';
import { UsageChunkFilter } from '../domain/usage-chunk-filter.js';
import { StreamUsageMeter, answerChars, estimatedUsage, usageFrom } from '../domain/usage.js';
import { gatewayErrors } from '../errors.js';
import type { RouteTarget, UpstreamResponse } from '../upstreams/client.js';
import { AbortEmitter } from '../upstreams/abort.js';
import { PROVIDERS } from '../upstreams/index.js';
import type { BaseOperation } from '../upstreams/types.js';
import type { GatewayContext } from './context.js';
import { drained, startEventStream } from './event-stream.js';
import { stateOf, type RequestState } from './request-state.js';

const STREAM_ERROR = JSON.stringify({
  error: {
    message: 'the upstream connection failed mid-stream; the answer is incomplete',
    type: 'api_error',
    code: 'upstream_error',
  },
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

export function proxy(ctx: GatewayContext, endpoint: BaseOperation): RequestHandler {
  return async (req, res, next) => {
    const state = stateOf(res);
    const decision = state.decision!;
    const policy = state.policy!;
    const original = req.body as Record<string, unknown>;
    const abort = AbortEmitter.of(res);
    try {
      // Redact once, before anything is sent: an error here refuses the request (fail closed).
      let redacted: ReturnType<typeof redactBody> | undefined;
      if (decision.redacts) {
        try {
          redacted = redactBody(original, policy.redaction);
        } catch (e) {
          throw gatewayErrors.redactionFailed(e);
        }
      }
      // Streams are metered by the upstream's own count where it can give one: ask for it
      // even when the client did not (and drop the extra chunk on the way back, below).
      const clientAskedUsage =
        isRecord(original.stream_options) && original.stream_options.include_usage === true;
      const injectUsage = (target: RouteTarget) =>
        state.stream &&
        endpoint !== 'embeddings' &&
        !clientAskedUsage &&
        PROVIDERS[target.provider].streamUsage;
      const bodyFor = (target: RouteTarget) => {
        const source = redacted && redactsFor(decision, target) ? redacted.body : original;
        const body: Record<string, unknown> = { ...source, model: target.upstreamModel };
        if (injectUsage(target)) {
          body.stream_options = {
            ...(isRecord(source.stream_options) ? source.stream_options : {}),
            include_usage: true,
          };
        }
        return JSON.stringify(body);
      };

      const upstream = await ctx.upstreams.send(
        decision.targets,
        endpoint,
        bodyFor,
        req.id,
        abort,
        state.stream,
      );
      state.upstream = upstream.target.name;
      if (redacted && redactsFor(decision, upstream.target)) state.redactions = redacted.counts;
      ctx.metrics.perRequest.upstreamFirstByte(upstream.target.name, upstream.ttfbMs / 1000);
      const contentType = upstream.headers['content-type'] ?? '';
      if (state.stream && upstream.statusCode === 200 && contentType.includes('text/event-stream')) {
        await relayStream(upstream, res, state, injectUsage(upstream.target));
      } else {
        await relayJson(upstream, res, state);
      }
    } catch (e) {
      if (res.headersSent) return; // handled as a stream error
      if (abort.aborted) {
        state.errorCode = 'client_closed';
        return;
      }
      next(e);
    }
  };
}

async function relayJson(upstream: UpstreamResponse, res: Response, state: RequestState): Promise<void> {
  let raw: Buffer;
  try {
    raw = await upstream.body.buffer();
  } finally {
    upstream.release();
  }
  state.ttfbMs = performance.now() - state.startedAt;
  if (upstream.statusCode < 300) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw gatewayErrors.upstreamFailed(upstream.target.name);
    }
    state.usage = usageFrom(parsed) ?? estimatedUsage(state.promptChars, answerChars(parsed));
  } else {
    state.errorCode = upstreamStatusCode(upstream.statusCode);
    // An upstream's error body is relayed only if it is JSON (the OpenAI error shape clients
    // parse); an HTML or text page (a proxy's 404, a login page) could carry script or
    // internals, so it becomes our own envelope instead.
    try {
      JSON.parse(raw.toString('utf8'));
    } catch {
      throw gatewayErrors.upstreamFailed(upstream.target.name, upstream.statusCode);
    }
  }
  res.status(upstream.statusCode);
  // Whatever the upstream labelled it, what we relay is JSON (checked above).
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(raw);
}

async function relayStream(
  upstream: UpstreamResponse,
  res: Response,
  state: RequestState,
  stripUsageChunk: boolean,
): Promise<void> {
  const meter = new StreamUsageMeter();
  const filter = stripUsageChunk ? new UsageChunkFilter() : undefined;
  startEventStream(res);
  let first = true;
  try {
    for await (const chunk of upstream.body) {
      if (first) {
        state.ttfbMs = performance.now() - state.startedAt;
        first = false;
      }
      // No compression, no buffering: each upstream chunk is written as it arrives. A slow
      // client slows the upstream read (backpressure) instead of filling our memory.
      meter.push(chunk as Buffer);
      const out = filter ? filter.push(chunk as Buffer) : (chunk as Buffer);
      if (out.length > 0 && !res.write(out)) await drained(res); // rejects if the client leaves
    }
    state.usage = meter.result(state.promptChars);
    res.end(filter?.flush());
  } catch {
    state.usage = meter.result(state.promptChars);
    if (res.destroyed) {
      state.errorCode = 'client_closed';
      return;
    }
    state.errorCode = 'upstream_stream_failed';
    res.end(`event: error\ndata: ${STREAM_ERROR}\n\n`);
  } finally {
    upstream.release();
  }
}
