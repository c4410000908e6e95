// POST /v1/messages and /v1/messages/count_tokens (the Anthropic Messages API), after the
// policy gate. An upstream whose kind speaks Messages natively gets the body as is (with
// anthropic-version / anthropic-beta); any other gets it translated to chat completions,
// and its answer, streamed or not, translated back. Redaction happens before either.
import { once } from 'node:events';
import type { RequestHandler, Response } from 'express';
import { redactBody } from '../domain/redaction/redact.js';
import { estimateTokens, usageFrom } from '../domain/usage.js';
import { gatewayErrors } from '../errors.js';
import { chatToMessage } from '../protocols/anthropic/from-chat.js';
import { MID_STREAM_ERROR } from '../protocols/anthropic/errors.js';
import { ChatToMessagesStream } from '../protocols/anthropic/stream.js';
import { messagesToChat } from '../protocols/anthropic/to-chat.js';
import { MessagesUsageMeter, usageFromMessage } from '../protocols/anthropic/usage.js';
import type { RouteTarget, UpstreamResponse } from '../upstreams/client.js';
import { PROVIDERS } from '../upstreams/index.js';
import { speaksMessages } from '../upstreams/messages-native.js';
import type { GatewayContext } from './context.js';
import { stateOf, type RequestState } from './request-state.js';

type Obj = Record<string, unknown>;

const native = (target: RouteTarget): boolean => speaksMessages(PROVIDERS[target.provider]);

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

export function messagesRoute(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    const state = stateOf(res);
    const decision = state.decision!;
    const policy = state.policy!;
    const original = req.body as Obj;
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort(new DOMException('client closed the request', 'AbortError'));
    });
    try {
      // Each form is built (and redacted) once, before anything is sent; only the forms
      // some candidate needs. A redaction error refuses the request (fail closed).
      const needs = (isNative: boolean, redact: boolean) =>
        decision.candidates.some((c) => native(c.target) === isNative && c.redact === redact);
      const chat = decision.candidates.some((c) => !native(c.target))
        ? messagesToChat(original, '')
        : undefined;
      const redactedNative = needs(true, true) ? redactOrRefuse(original, policy.redaction) : undefined;
      const redactedChat = chat && needs(false, true) ? redactOrRefuse(chat, policy.redaction) : undefined;
      const redactFor = new Map(decision.candidates.map((c) => [c.target, c.redact]));
      const bodyFor = (target: RouteTarget) => {
        const redact = redactFor.get(target) === true;
        const source = native(target)
          ? redact
            ? redactedNative!.body
            : original
          : redact
            ? redactedChat!.body
            : chat!;
        return JSON.stringify({ ...source, model: target.upstreamModel });
      };
      const upstream = await ctx.upstreams.send(
        decision.candidates.map((c) => c.target),
        (t) => (native(t) ? 'messages' : 'chat.completions'),
        bodyFor,
        req.id,
        abort.signal,
        state.stream,
        { 'anthropic-version': req.get('anthropic-version'), 'anthropic-beta': req.get('anthropic-beta') },
      );
      const target = upstream.target;
      state.upstream = target.name;
      if (redactFor.get(target)) {
        const counts = (native(target) ? redactedNative : redactedChat)?.counts;
        if (counts) state.redactions = counts;
      }
      ctx.metrics.upstreamLatency.observe({ upstream: target.name }, upstream.ttfbMs / 1000);
      const isStream =
        state.stream &&
        upstream.statusCode === 200 &&
        String(upstream.headers['content-type'] ?? '').includes('text/event-stream');
      const model = state.model!;
      if (isStream) await relayStream(upstream, res, state, abort.signal, native(target), model);
      else await relayJson(upstream, res, state, native(target), model);
    } catch (e) {
      if (res.headersSent) return;
      if (abort.signal.aborted) {
        state.errorCode = 'client_closed';
        return;
      }
      next(e);
    }
  };
}

async function relayJson(
  upstream: UpstreamResponse,
  res: Response,
  state: RequestState,
  isNative: boolean,
  model: string,
): Promise<void> {
  let raw: Buffer;
  try {
    raw = Buffer.from(await upstream.body.arrayBuffer());
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
    state.errorCode = `upstream_${upstream.statusCode}`;
    const error = (parsed?.error ?? {}) as Obj;
    const detail = typeof error.message === 'string' ? `: ${error.message.slice(0, 500)}` : '';
    res.status(upstream.statusCode).json({
      type: 'error',
      error: {
        type: upstream.statusCode === 404 ? 'not_found_error' : 'invalid_request_error',
        message: `upstream "${upstream.target.name}" refused the request (status ${upstream.statusCode})${detail}`,
        code: 'upstream_error',
      },
    });
    return;
  }
  if (!parsed) throw gatewayErrors.upstreamFailed(upstream.target.name);
  const usage = isNative ? usageFromMessage(parsed) : usageFrom(parsed);
  state.usage = usage ?? {
    promptTokens: estimateTokens(state.promptChars),
    completionTokens: 0,
    estimated: true,
  };
  res.status(200).json(isNative ? parsed : chatToMessage(parsed, model));
}

async function relayStream(
  upstream: UpstreamResponse,
  res: Response,
  state: RequestState,
  signal: AbortSignal,
  isNative: boolean,
  model: string,
): Promise<void> {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-store');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  const meter = isNative ? new MessagesUsageMeter() : undefined;
  const translate = isNative ? undefined : new ChatToMessagesStream(model, estimateTokens(state.promptChars));
  const write = async (text: string | Buffer) => {
    if (text.length > 0 && !res.write(text)) await once(res, 'drain', { signal });
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
    res.end(`event: error\ndata: ${MID_STREAM_ERROR}\n\n`);
  } finally {
    upstream.release();
  }
}
