// Rule: a non-stream answer that reports no usage is still metered by what it generated.
// The Messages and Responses routes, passed through to a native upstream or translated to
// chat, estimate the completion from the answer's generated fields, and the monthly token
// quota counts it (before, a native answer without usage counted 0 completion tokens).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUDIT_STREAM, eventsOfEntry } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { estimateTokens } from '../../src/domain/usage.js';
import { createTenant, onprem } from '../fixtures.js';
import { startFakeUpstream, type Behaviour, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const TEXT = 'w'.repeat(2000);
const INPUT = { query: 'q'.repeat(400) };
const ARGS = JSON.stringify(INPUT);
const THINKING = 't'.repeat(600);

/** Every endpoint answers without usage, with text, a tool call and reasoning. */
const noUsage: Behaviour = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  if (req.path.endsWith('/messages')) {
    res.end(
      JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'm',
        stop_reason: 'tool_use',
        content: [
          { type: 'thinking', thinking: THINKING, signature: 'sig'.repeat(100) },
          { type: 'text', text: TEXT },
          { type: 'tool_use', id: 'toolu_1', name: 'search', input: INPUT },
        ],
      }),
    );
  } else if (req.path.endsWith('/responses')) {
    res.end(
      JSON.stringify({
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        model: 'm',
        output: [
          { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: THINKING }] },
          {
            type: 'message',
            id: 'msg_1',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: TEXT, annotations: [] }],
          },
          { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'search', arguments: ARGS },
        ],
      }),
    );
  } else {
    res.end(
      JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: TEXT,
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'search', arguments: ARGS } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      }),
    );
  }
};

const BODIES = {
  messages: { model: 'm', max_tokens: 4000, messages: [{ role: 'user', content: 'find it' }] },
  responses: { model: 'm', max_output_tokens: 4000, input: 'find it' },
};

describe('non-stream Messages and Responses answers without usage', () => {
  let gw: GatewayHarness;
  let up: FakeUpstream;

  beforeAll(async () => {
    [gw, up] = await Promise.all([startGateway(), startFakeUpstream(noUsage)]);
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), up?.close()]);
  });

  async function usageOf(orgId: string, requestId: string) {
    let details: Record<string, unknown> | undefined;
    await waitFor(async () => {
      const entries = await gw.server.runtime.redis.client.xrange(AUDIT_STREAM, '-', '+');
      details = entries
        .flatMap(([, f]) =>
          eventsOfEntry<{ orgId: string; requestId: string; details: Record<string, unknown> }>(f),
        )
        .find((e) => e.orgId === orgId && e.requestId === requestId)?.details;
      return details !== undefined;
    });
    return details as { promptTokens: number; completionTokens: number; usageEstimated: boolean };
  }

  async function monthlyTokens(orgId: string): Promise<number> {
    const redis = gw.server.runtime.redis.client;
    const [key] = await redis.keys(`airlock:gw:rl:{${orgId}}:org:all:tokens:q:*`);
    return key ? Number(await redis.get(key)) : 0;
  }

  it.each([
    // [route, upstream provider, generated characters the estimate must cover]
    ['messages', 'vllm', THINKING.length + TEXT.length + 'search'.length + ARGS.length],
    ['messages', 'openai-compatible', TEXT.length + 'search'.length + ARGS.length],
    ['responses', 'vllm', THINKING.length + TEXT.length + 'search'.length + ARGS.length],
    ['responses', 'openai-compatible', TEXT.length + 'search'.length + ARGS.length],
  ] as const)(
    '/v1/%s via %s: estimates the completion and the monthly counter counts it',
    async (route, provider, chars) => {
      const t = await createTenant(gw.server.runtime.db, {
        models: { allow: { member: ['*'] } },
        upstreams: [onprem('up', up.baseUrl, { provider })],
        limits: { monthlyQuota: { perOrg: { tokens: 1_000_000 } } },
      });
      const res = await post(`${gw.url}/v1/${route}`, t.token, BODIES[route]);
      expect(res.status).toBe(200);
      await res.text();
      const usage = await usageOf(t.orgId, res.headers.get('x-request-id')!);
      expect(usage.usageEstimated).toBe(true);
      expect(usage.completionTokens).toBe(estimateTokens(chars));
      // Settled to the estimate: the reservation (max tokens) is replaced by prompt + completion.
      await waitFor(
        async () => (await monthlyTokens(t.orgId)) === usage.promptTokens + usage.completionTokens,
      );
      expect(await monthlyTokens(t.orgId)).toBeGreaterThan(estimateTokens(TEXT.length));
    },
  );
});
