// Rule: a stream is metered by everything it generated. The gateway asks upstreams that
// support it for their own count (stream_options.include_usage) and hides that extra chunk
// from a client that did not ask; for other upstreams it estimates from every generated
// field (content, reasoning, refusal, tool-call names and arguments), not only content.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUDIT_STREAM, eventsOfEntry, type Redis } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { estimateTokens } from '../../src/domain/usage.js';
import { cloud, createTenant, onprem } from '../fixtures.js';
import { startFakeUpstream, type Behaviour, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const ARGS = JSON.stringify({ query: 'x'.repeat(400) });
const REASONING = 'r'.repeat(300);
const DELTAS: Record<string, unknown>[] = [
  { role: 'assistant', reasoning_content: REASONING.slice(0, 100) },
  { reasoning_content: REASONING.slice(100) },
  { reasoning: 'think' },
  { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'search', arguments: '' } }] },
  { tool_calls: [{ index: 0, function: { arguments: ARGS.slice(0, 150) } }] },
  { tool_calls: [{ index: 0, function: { arguments: ARGS.slice(150) } }] },
  { function_call: { name: 'legacy', arguments: '{"a":1}' } },
  { refusal: 'no' },
  { content: 'done' },
];
/** Every generated character above (not role, id, type or index). */
const GENERATED_CHARS =
  REASONING.length + 'think'.length + 'search'.length + ARGS.length + 'legacy'.length + 7 + 2 + 4;
const UPSTREAM_USAGE = { prompt_tokens: 11, completion_tokens: 777, total_tokens: 788 };

/** A streaming upstream that sends usage only when asked, as OpenAI does. */
const streamingToolCalls: Behaviour = async (req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const include = (req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
  const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const extra = include ? { usage: null } : {};
  for (const delta of DELTAS) {
    res.write(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`,
    );
    await new Promise((r) => setImmediate(r));
  }
  res.write(
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], ...extra })}\n\n`,
  );
  if (include) {
    // Split mid-event, so the filter must reassemble it before deciding.
    const usage = `data: ${JSON.stringify({ ...base, choices: [], usage: UPSTREAM_USAGE })}\n\n`;
    res.write(usage.slice(0, 20));
    await new Promise((r) => setImmediate(r));
    res.write(usage.slice(20));
  }
  res.end('data: [DONE]\n\n');
};

interface Event {
  orgId: string;
  requestId: string;
  details: Record<string, unknown>;
}

async function detailsOf(redis: Redis, orgId: string, requestId: string): Promise<Record<string, unknown>> {
  let found: Event | undefined;
  await waitFor(async () => {
    const entries = await redis.xrange(AUDIT_STREAM, '-', '+');
    found = entries
      .flatMap(([, fields]) => eventsOfEntry<Event>(fields))
      .find((e) => e.orgId === orgId && e.requestId === requestId);
    return found !== undefined;
  });
  return found!.details;
}

const dataLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)) as { choices: unknown[]; usage?: unknown });

describe('stream usage metering', () => {
  let gw: GatewayHarness;
  let up: FakeUpstream;

  beforeAll(async () => {
    [gw, up] = await Promise.all([startGateway(), startFakeUpstream(streamingToolCalls)]);
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), up?.close()]);
  });

  async function stream(
    upstream: ReturnType<typeof cloud> | ReturnType<typeof onprem>,
    extra: Record<string, unknown> = {},
  ) {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [upstream],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, {
      model: 'm',
      messages: [{ role: 'user', content: 'find it' }],
      stream: true,
      ...extra,
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const details = await detailsOf(
      gw.server.runtime.redis.client,
      t.orgId,
      res.headers.get('x-request-id')!,
    );
    return { text, details, sent: up.received.at(-1)!.body };
  }

  it.each([
    ['openai', cloud('openai', '')],
    ['vllm', onprem('vllm', '')],
    ['ollama', onprem('ollama', '', { provider: 'ollama' })],
  ])(
    'asks %s for usage, meters its count, and hides the extra chunk from a client that did not ask',
    async (_n, spec) => {
      const { text, details, sent } = await stream({ ...spec, baseUrl: up.baseUrl });
      expect(sent.stream_options).toEqual({ include_usage: true });
      expect(details).toMatchObject({ promptTokens: 11, completionTokens: 777, usageEstimated: false });
      const chunks = dataLines(text);
      expect(chunks).toHaveLength(DELTAS.length + 1); // every delta and the finish chunk, nothing else
      expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
      expect(text).not.toContain('"completion_tokens"');
    },
  );

  it('relays the usage chunk to a client that asked for it, keeping its stream_options', async () => {
    const { text, details, sent } = await stream(cloud('openai', up.baseUrl), {
      stream_options: { include_usage: true },
    });
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(details).toMatchObject({ completionTokens: 777, usageEstimated: false });
    const last = dataLines(text).at(-1)!;
    expect(last).toMatchObject({ choices: [], usage: UPSTREAM_USAGE });
  });

  it.each(['openai-compatible', 'llamacpp', 'tgi'])(
    'estimates from every generated field for %s, which is not asked for usage',
    async (provider) => {
      const { details, sent } = await stream(onprem('generic', up.baseUrl, { provider }));
      expect(sent.stream_options).toBeUndefined();
      expect(details).toMatchObject({
        completionTokens: estimateTokens(GENERATED_CHARS),
        usageEstimated: true,
      });
    },
  );

  it('does not ask for usage on a request that is not a stream', async () => {
    up.behave(async (_req, res) => {
      const body = JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'x', type: 'function', function: { name: 'search', arguments: ARGS } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    try {
      const t = await createTenant(gw.server.runtime.db, {
        models: { allow: { member: ['*'] } },
        upstreams: [cloud('openai', up.baseUrl)],
      });
      const res = await post(`${gw.url}/v1/chat/completions`, t.token, {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(res.status).toBe(200);
      expect(up.received.at(-1)!.body.stream_options).toBeUndefined();
      // No usage in the answer: the estimate counts the tool call, not zero.
      const details = await detailsOf(
        gw.server.runtime.redis.client,
        t.orgId,
        res.headers.get('x-request-id')!,
      );
      expect(details).toMatchObject({
        completionTokens: estimateTokens('search'.length + ARGS.length),
        usageEstimated: true,
      });
    } finally {
      up.behave(streamingToolCalls);
    }
  });
});
