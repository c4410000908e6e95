// The APIs served in front of chat-completions upstreams (POST /v1/messages, /v1/responses),
// after the policy gate. An upstream whose kind speaks the API natively gets the body as is
// (plus the caller headers its kind declares, e.g. anthropic-version); any other gets it
// translated to chat completions, and its answer, streamed or not, translated back.
// Redaction happens before either; /v1/messages/count_tokens is answered here too.
import { upstreamStatusCode } from '@airlock/common';
import type { RequestHandler, Response } from 'express';
import { redactsFor } from '../domain/decide.js';
import { redactBody } from '../domain/redaction/redact.js';
import { answerChars, estimatedUsage, estimateTokens, usageFrom } from '../domain/usage.js';
import { gatewayErrors } from '../errors.js';
import type { ForeignApi, Obj } from '../protocols/types.js';
import type { RouteTarget, UpstreamResponse } from '../upstreams/client.js';
import { AbortEmitter } from '../upstreams/abort.js';
import { PROVIDERS } from '../upstreams/index.js';
import type { GatewayContext } from './context.js';
import { drained, startEventStream } from './event-stream.js';
import { stateOf, type RequestState } from './request-state.js';

/** Caller headers a native upstream may get, if its kind lists them (forwardHeaders). */
const FORWARDABLE = ['anthropic-version', 'anthropic-beta'] as const;

/** count_tokens: an estimate from the gated body (no upstream needed, nothing generated). */
export function countTokensRoute(): RequestHandler {
  return (_req, res) => {
    res.json({ input_tokens: estimateTokens(stateOf(res).promptChars) });
  };
}

function redactOrRefuse(body: Obj, settings: Parameters<typeof redactBody>[1]) {
  try {
    return redactBody(body, settings);
  } catch (e) {
    throw gatewayErrors.redactionFailed(e);
  }
}

export function foreignApiRoute(ctx: GatewayContext, api: ForeignApi): RequestHandler {
  const native = (target: RouteTarget): boolean =>
    PROVIDERS[target.provider].paths[api.operation] !== undefined;
  return async (req, res, next) => {
    const state = stateOf(res);
    const decision = state.decision!;
    const policy = state.policy!;
    const original = req.body as Obj;
    const abort = AbortEmitter.of(res);
    try {
      // Each form is built (and redacted) once, before anything is sent; only the forms
      // some candidate needs. A redaction error refuses the request (fail closed).
      const needs = (isNative: boolean, redact: boolean) =>
        decision.candidates.some((c) => native(c.target) === isNative && c.redact === redact);
      const translated = decision.candidates.some((c) => !native(c.target));
      if (translated) api.refuseWhenTranslated?.(original);
      const chat = translated ? api.toChat(original, '') : undefined;
      const nativeBody = api.nativeBody ? api.nativeBody(original) : original;
      const redactedNative = needs(true, true) ? redactOrRefuse(nativeBody, policy.redaction) : undefined;
      const redactedChat = chat && needs(false, true) ? redactOrRefuse(chat, policy.redaction) : undefined;
      const bodyFor = (target: RouteTarget) => {
        const redact = redactsFor(decision, target);
        const source = native(target)
          ? redact
            ? redactedNative!.body
            : nativeBody
          : redact
            ? redactedChat!.body
            : chat!;
        return JSON.stringify({ ...source, model: target.upstreamModel });
      };
      const upstream = await ctx.upstreams.send(
        decision.targets,
        (t) => (native(t) ? api.operation : 'chat.completions'),
        bodyFor,
        req.id,
        abort,
        state.stream,
        Object.fromEntries(FORWARDABLE.map((name) => [name, req.get(name)])),
      );
      const target = upstream.target;
      state.upstream = target.name;
      if (redactsFor(decision, target)) {
        const counts = (native(target) ? redactedNative : redactedChat)?.counts;
        if (counts) state.redactions = counts;
      }
      ctx.metrics.perRequest.upstreamFirstByte(target.name, upstream.ttfbMs / 1000);
      const isStream =
        state.stream &&
        upstream.statusCode === 200 &&
        (upstream.headers['content-type'] ?? '').includes('text/event-stream');
      const model = state.model!;
      const how = { api, isNative: native(target), model, request: original };
      if (isStream) await relayStream(upstream, res, state, how);
      else await relayJson(upstream, res, state, how);
    } catch (e) {
      if (res.headersSent) return;
      if (abort.aborted) {
        state.errorCode = 'client_closed';
        return;
      }
      next(e);
    }
  };
}

interface Relay {
  api: ForeignApi;
  isNative: boolean;
  model: string;
  request: Obj;
}

async function relayJson(
  upstream: UpstreamResponse,
  res: Response,
  state: RequestState,
  { api, isNative, model, request }: Relay,
): Promise<void> {
  let raw: Buffer;
  try {
    raw = await upstream.body.buffer();
  } finally {
    upstream.release();
  }
  state.ttfbMs = performance.now() - state.startedAt;
  let parsed: Obj | undefined;
  try {
    parsed = JSON.parse(raw.toString('utf8')) as Obj;
  } catch {
    parsed = undefined;
  }
  if (upstream.statusCode >= 300) {
    // The provider's refusal, in our envelope: its own error message at most, never its raw body.
    state.errorCode = upstreamStatusCode(upstream.statusCode);
    const error = (parsed?.error ?? {}) as Obj;
    const detail = typeof error.message === 'string' ? error.message.slice(0, 500) : undefined;
    res
      .status(upstream.statusCode)
      .json(api.upstreamRefusal(upstream.target.name, upstream.statusCode, detail));
    return;
  }
  if (!parsed) throw gatewayErrors.upstreamFailed(upstream.target.name);
  const usage = isNative ? api.nativeUsage(parsed) : usageFrom(parsed);
  // No usage in the answer: what it generated is estimated, so quotas count it (0 would
  // make an upstream that omits usage free).
  const generated = isNative ? api.nativeGeneratedChars(parsed) : answerChars(parsed);
  state.usage = usage ?? estimatedUsage(state.promptChars, generated);
  res.status(200).json(isNative ? parsed : api.fromChat(parsed, model, request));
}

async function relayStream(
  upstream: UpstreamResponse,
  res: Response,
  state: RequestState,
  { api, isNative, model, request }: Relay,
): Promise<void> {
  startEventStream(res);
  const meter = isNative ? api.nativeMeter() : undefined;
  const translate = isNative
    ? undefined
    : api.streamFromChat(model, request, estimateTokens(state.promptChars));
  const write = async (text: string | Buffer) => {
    if (text.length > 0 && !res.write(text)) await drained(res);
  };
  const usage = () => (meter ? meter.result(state.promptChars) : translate!.usage());
  let first = true;
  try {
    if (translate) await write(translate.start());
    for await (const chunk of upstream.body) {
      if (first) {
        state.ttfbMs = performance.now() - state.startedAt;
        first = false;
      }
      if (meter) {
        meter.push(chunk as Buffer);
        await write(chunk as Buffer);
      } else await write(translate!.push(chunk as Buffer));
    }
    if (translate) await write(translate.end());
    state.usage = usage();
    res.end();
  } catch {
    state.usage = usage();
    if (res.destroyed) {
      state.errorCode = 'client_closed';
      return;
    }
    state.errorCode = 'upstream_stream_failed';
    res.end(api.midStreamError());
  } finally {
    upstream.release();
  }
}
