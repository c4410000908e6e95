import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import OpenAI from 'openai';
import { AUDIT_STREAM, eventsOfEntry } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { createTenant, onprem, type Tenant } from './fixtures.js';
import { chatAgentBehaviour, responsesAgentBehaviour, TOOL_ARGS } from './fake-agent-upstreams.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { post, startGateway, type GatewayHarness } from './harness.js';

const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'write_file',
    description: 'Writes a file',
    parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
    strict: false,
  },
];

/** The round trip as Codex does it (store: false): the whole conversation again, call and output included. */
function withOutput(call: OpenAI.Responses.ResponseFunctionToolCall): OpenAI.Responses.ResponseInput {
  return [
    { role: 'user', content: 'write hello.txt' },
    { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
    { type: 'function_call_output', call_id: call.call_id, output: 'ok' },
  ];
}

// The official openai SDK's responses API against the gateway: chat-only and Responses-native upstreams.
describe('the openai SDK responses API against the gateway', () => {
  let gw: GatewayHarness;
  let chatOnly: FakeUpstream;
  let native: FakeUpstream;
  let tenant: Tenant;
  let client: OpenAI;

  beforeAll(async () => {
    [gw, chatOnly, native] = await Promise.all([
      startGateway(),
      startFakeUpstream(chatAgentBehaviour),
      startFakeUpstream(responsesAgentBehaviour),
    ]);
    tenant = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['llama-*', 'qwen-*', 'gpt-5-codex'] } },
      upstreams: [
        onprem('chat', chatOnly.baseUrl, {
          provider: 'openai-compatible',
          models: ['llama-*'],
          aliases: { 'gpt-5-codex': 'llama-3-70b' },
        }),
        onprem('native', native.baseUrl, { provider: 'vllm', models: ['qwen-*'] }),
      ],
      redaction: { onprem: true },
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
    client = new OpenAI({ apiKey: tenant.token, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), chatOnly?.close(), native?.close()]);
  });

  it('translates a function-call round trip to a chat-only upstream (JSON)', async () => {
    const first = await client.responses.create({
      model: 'gpt-5-codex',
      instructions: 'You are terse.',
      input: 'write hello.txt',
      tools,
      store: false,
    });
    expect(first.status).toBe('completed');
    expect((first as unknown as { store: boolean }).store).toBe(false);
    expect(first.output.map((i) => i.type)).toEqual(['reasoning', 'function_call']);
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ call_id: 'call_1', name: 'write_file', arguments: TOOL_ARGS });
    expect(first.usage).toMatchObject({ input_tokens: 21, output_tokens: 13, total_tokens: 34 });
    const sent = chatOnly.received.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body.model).toBe('llama-3-70b');
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'write hello.txt' },
    ]);
    expect((sent.body.tools as unknown[])[0]).toMatchObject({
      type: 'function',
      function: { name: 'write_file' },
    });

    const second = await client.responses.create({
      model: 'gpt-5-codex',
      input: withOutput(call),
      tools,
      store: false,
    });
    expect(second.output_text).toBe('done');
    expect((chatOnly.received.at(-1)!.body.messages as unknown[]).slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'write_file', arguments: TOOL_ARGS } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
    ]);
  });

  it('streams the translated answer as Responses events, ending in response.completed with usage', async () => {
    const types: string[] = [];
    let args = '';
    const stream = await client.responses.create({
      model: 'llama-3',
      input: 'write hello.txt',
      tools,
      stream: true,
    });
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(args).toBe(TOOL_ARGS);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    for (const t of [
      'response.output_item.added',
      'response.reasoning_summary_text.delta',
      'response.output_item.done',
    ])
      expect(types).toContain(t);
    expect(completed!.usage).toMatchObject({ input_tokens: 21, output_tokens: 13 });
    expect(completed!.output.map((i) => i.type)).toEqual(['reasoning', 'function_call']);

    const text = await client.responses.create({
      model: 'llama-3',
      input: withOutput(completed!.output[1] as OpenAI.Responses.ResponseFunctionToolCall),
      stream: true,
    });
    let out = '';
    for await (const event of text) if (event.type === 'response.output_text.delta') out += event.delta;
    expect(out).toBe('done');
  });

  it('passes a Responses-native upstream through, with store: false unless the caller says otherwise', async () => {
    const stream = client.responses.stream({ model: 'qwen-coder', input: 'write hello.txt', tools });
    const final = await stream.finalResponse();
    expect(final.id).toBe('resp_native');
    expect(final.output[0]).toMatchObject({ type: 'function_call', arguments: TOOL_ARGS });
    const sent = native.received.at(-1)!;
    expect(sent.path).toBe('/v1/responses');
    expect(sent.body.store).toBe(false);
    expect(sent.body.tools).toEqual(tools);
    expect(sent.headers.authorization).toBeUndefined(); // the caller's token never goes upstream
  });

  it('refuses previous_response_id on a translating route with a clear coded error', async () => {
    const res = await post(`${gw.url}/v1/responses`, tenant.token, {
      model: 'llama-3',
      input: 'and then?',
      previous_response_id: 'resp_123',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/previous_response_id/);
    await expect(
      client.responses.create({ model: 'llama-3', input: [] as unknown as string }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('answers a WebSocket upgrade on GET /v1/responses with 426, so Codex falls back to HTTP', async () => {
    // node:http, because fetch refuses to send Connection: Upgrade.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gw.url}/v1/responses`, {
        headers: {
          authorization: `Bearer ${tenant.token}`,
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe('upgrade_required');
  });

  it('redacts instructions, input text and function outputs before the upstream', async () => {
    await client.responses.create({
      model: 'llama-3',
      instructions: 'mail jane@corp.example',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'key AKIAIOSFODNN7EXAMPLE' }] },
        { type: 'function_call', call_id: 'c9', name: 'write_file', arguments: '{"to":"bob@corp.example"}' },
        { type: 'function_call_output', call_id: 'c9', output: 'sent to ann@corp.example' },
      ],
    });
    const sent = JSON.stringify(chatOnly.received.at(-1)!.body);
    for (const secret of [
      'jane@corp.example',
      'AKIAIOSFODNN7EXAMPLE',
      'bob@corp.example',
      'ann@corp.example',
    ])
      expect(sent).not.toContain(secret);
  });

  it('audits each request with endpoint responses, client tool and usage', async () => {
    const redis = gw.server.runtime.redis.client;
    const events = async () =>
      (await redis.xrange(AUDIT_STREAM, '-', '+'))
        .flatMap(([, f]) => eventsOfEntry<{ orgId: string; details: Record<string, unknown> }>(f))
        .filter((e) => e.orgId === tenant.orgId && e.details.endpoint === 'responses');
    await waitFor(async () => (await events()).length >= 7);
    const ok = (await events()).filter((e) => e.details.status === 200);
    expect(ok.every((e) => e.details.clientTool === 'openai-sdk')).toBe(true);
    expect(ok[0]!.details).toMatchObject({
      upstream: 'chat',
      promptTokens: 21,
      completionTokens: 13,
      usageEstimated: false,
    });
    expect(ok.some((e) => e.details.upstream === 'native' && e.details.promptTokens === 40)).toBe(true);
    expect(JSON.stringify(await events())).not.toContain('write hello.txt');
  });
});
