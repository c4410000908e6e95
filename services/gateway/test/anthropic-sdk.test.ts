import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { AUDIT_STREAM, eventsOfEntry } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { createTenant, onprem, type Tenant } from './fixtures.js';
import { chatAgentBehaviour, messagesAgentBehaviour, TOOL_ARGS } from './fake-agent-upstreams.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { post, startGateway, type GatewayHarness } from './harness.js';

const tools: Anthropic.Tool[] = [
  {
    name: 'write_file',
    description: 'Writes a file',
    input_schema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
  },
];
const ask: Anthropic.MessageParam[] = [{ role: 'user', content: 'write hello.txt' }];

/** The tool round trip the way an agent does it: the assistant's tool_use turn, then our tool_result. */
function withResult(message: Anthropic.Message): Anthropic.MessageParam[] {
  const call = message.content.find((b) => b.type === 'tool_use')!;
  return [
    ...ask,
    { role: 'assistant', content: message.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'ok' }] },
  ];
}

// The official SDK, unchanged, pointed at the gateway; one chat-only and one Messages-native upstream.
describe('the @anthropic-ai/sdk package against the gateway', () => {
  let gw: GatewayHarness;
  let chatOnly: FakeUpstream;
  let native: FakeUpstream;
  let tenant: Tenant;
  let client: Anthropic;

  beforeAll(async () => {
    [gw, chatOnly, native] = await Promise.all([
      startGateway(),
      startFakeUpstream(chatAgentBehaviour),
      startFakeUpstream(messagesAgentBehaviour),
    ]);
    tenant = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['llama-*', 'qwen-*', 'claude-coder-9'] } },
      upstreams: [
        onprem('chat', chatOnly.baseUrl, {
          provider: 'openai-compatible',
          models: ['llama-*'],
          aliases: { 'claude-coder-9': 'llama-3-70b' },
        }),
        onprem('native', native.baseUrl, { provider: 'vllm', models: ['qwen-*'] }),
      ],
      redaction: { onprem: true },
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
    client = new Anthropic({ apiKey: tenant.token, baseURL: gw.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), chatOnly?.close(), native?.close()]);
  });

  it('translates a tool-use round trip to a chat-only upstream (JSON), thinking and usage included', async () => {
    const first = await client.messages.create({
      model: 'claude-coder-9',
      max_tokens: 256,
      system: 'You are terse.',
      messages: ask,
      tools,
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const call = first.content[1] as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ id: 'call_1', name: 'write_file', input: JSON.parse(TOOL_ARGS) });
    expect(first.usage).toMatchObject({ input_tokens: 21, output_tokens: 13 });
    const sent = chatOnly.received.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body.model).toBe('llama-3-70b'); // the alias, by policy
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'write hello.txt' },
    ]);
    expect(sent.body.tools).toEqual([
      {
        type: 'function',
        function: { name: 'write_file', description: 'Writes a file', parameters: tools[0]!.input_schema },
      },
    ]);
    expect(sent.headers['anthropic-version']).toBeUndefined(); // a chat server is not an Anthropic one

    const second = await client.messages.create({
      model: 'claude-coder-9',
      max_tokens: 256,
      messages: withResult(first),
      tools,
    });
    expect(second.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(second.stop_reason).toBe('end_turn');
    const messages = chatOnly.received.at(-1)!.body.messages as Record<string, unknown>[];
    expect(messages.slice(1)).toEqual([
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

  it('streams the translated answer as the real Messages event sequence', async () => {
    const seen: string[] = [];
    const stream = client.messages.stream({ model: 'llama-3', max_tokens: 256, messages: ask, tools });
    stream.on('streamEvent', (e) =>
      seen.push(e.type === 'content_block_delta' ? `delta:${e.delta.type}` : e.type),
    );
    const message = await stream.finalMessage();
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe('I should write the file.');
    expect((message.content[1] as Anthropic.ToolUseBlock).input).toEqual(JSON.parse(TOOL_ARGS));
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage.output_tokens).toBe(13);
    expect([...new Set(seen)]).toEqual([
      'message_start',
      'content_block_start',
      'delta:thinking_delta',
      'content_block_stop',
      'delta:input_json_delta',
      'message_delta',
      'message_stop',
    ]);
    expect(chatOnly.received.at(-1)!.body.stream_options).toEqual({ include_usage: true });
  });

  it('passes a Messages-native upstream through, with anthropic-version and anthropic-beta', async () => {
    const stream = client.messages.stream(
      { model: 'qwen-coder', max_tokens: 256, messages: ask, tools },
      { headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' } },
    );
    const message = await stream.finalMessage();
    expect(message.id).toBe('msg_native');
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const sent = native.received.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    expect(sent.headers['x-api-key']).toBeUndefined(); // the caller's credential never goes upstream
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body.tools).toEqual(tools); // as sent, not translated

    const done = await client.messages.create({
      model: 'qwen-coder',
      max_tokens: 256,
      messages: withResult(message),
      tools,
    });
    expect(done.content).toEqual([{ type: 'text', text: 'done' }]);
  });

  it('accepts the token as Authorization: Bearer too (Claude Code with ANTHROPIC_AUTH_TOKEN)', async () => {
    const bearer = new Anthropic({ authToken: tenant.token, apiKey: null, baseURL: gw.url, maxRetries: 0 });
    const m = await bearer.messages.create({ model: 'qwen-coder', max_tokens: 16, messages: ask });
    expect(m.type).toBe('message');
  });

  it('counts tokens without calling an upstream', async () => {
    const before = chatOnly.received.length + native.received.length;
    const counted = await client.messages.countTokens({
      model: 'llama-3',
      messages: ask,
      system: 'x'.repeat(400),
    });
    expect(counted.input_tokens).toBeGreaterThanOrEqual(100);
    expect(chatOnly.received.length + native.received.length).toBe(before);
  });

  it('answers refusals in the Anthropic envelope with our stable code inside', async () => {
    await expect(
      client.messages.create({ model: 'gpt-4o', max_tokens: 16, messages: ask }),
    ).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
    const res = await post(`${gw.url}/v1/messages`, tenant.token, { model: 'llama-3', messages: ask });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'bad_request',
        message: '"max_tokens" must be a positive integer',
      },
    });
    const bad = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'al_not-a-real-token-at-all' },
      body: JSON.stringify({ model: 'llama-3', max_tokens: 1, messages: ask }),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', code: 'unauthenticated' },
    });
  });

  it('takes a "system" message among the messages (Claude Code sends one) and keeps it in place', async () => {
    const system = { role: 'system', content: [{ type: 'text', text: 'Working directory: /w' }] };
    const answer = await client.messages.create({
      model: 'llama-3',
      max_tokens: 16,
      system: 'You are terse.',
      // not in this SDK version's types yet; on the wire as Claude Code sends it
      messages: [...ask, system as unknown as Anthropic.MessageParam],
    });
    expect(answer.type).toBe('message');
    expect(chatOnly.received.at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'write hello.txt' },
      { role: 'system', content: 'Working directory: /w' },
    ]);
    const bad = await post(`${gw.url}/v1/messages`, tenant.token, {
      model: 'llama-3',
      max_tokens: 16,
      messages: [{ role: 'tool', content: 'x' }],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('redacts every translated text field before the upstream', async () => {
    await client.messages.create({
      model: 'llama-3',
      max_tokens: 16,
      system: 'mail jane@corp.example',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'key AKIAIOSFODNN7EXAMPLE' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 't1', name: 'write_file', input: { content: 'bob@corp.example' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sent to ann@corp.example' }],
        },
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
    expect(sent).toContain('[REDACTED:email]');
  });

  it('raises an error event mid-stream when the upstream fails', async () => {
    chatOnly.behave((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'par' }, finish_reason: null }] })}\n\n`,
      );
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const stream = client.messages.stream({ model: 'llama-3', max_tokens: 16, messages: ask });
      await expect(stream.finalMessage()).rejects.toThrow(/mid-stream/);
    } finally {
      chatOnly.behave(chatAgentBehaviour);
    }
  });

  it('audits each request once with endpoint, client tool and metered usage, never content', async () => {
    const redis = gw.server.runtime.redis.client;
    const events = async () =>
      (await redis.xrange(AUDIT_STREAM, '-', '+'))
        .flatMap(([, f]) => eventsOfEntry<{ orgId: string; details: Record<string, unknown> }>(f))
        .filter((e) => e.orgId === tenant.orgId);
    await waitFor(async () => (await events()).filter((e) => e.details.endpoint === 'messages').length >= 6);
    const all = await events();
    const messages = all.filter((e) => e.details.endpoint === 'messages' && e.details.status === 200);
    expect(messages.every((e) => e.details.clientTool === 'anthropic-sdk')).toBe(true);
    const first = messages[0]!.details;
    expect(first).toMatchObject({
      upstream: 'chat',
      promptTokens: 21,
      completionTokens: 13,
      usageEstimated: false,
    });
    expect(all.some((e) => e.details.endpoint === 'messages.count_tokens')).toBe(true);
    const text = JSON.stringify(all);
    expect(text).not.toContain('write hello.txt');
    expect(text).not.toContain('jane@corp.example');
  });
});
