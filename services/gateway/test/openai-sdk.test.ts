import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { createTenant, onprem } from './fixtures.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { revokeEverywhere, startGateway, type GatewayHarness } from './harness.js';

// The official SDK, unchanged, with only baseURL pointed at the gateway.
describe('the openai npm package against the gateway', () => {
  let gw: GatewayHarness;
  let upstream: FakeUpstream;
  let client: OpenAI;
  let tokenId: string;
  let token: string;

  beforeAll(async () => {
    [gw, upstream] = await Promise.all([startGateway(), startFakeUpstream()]);
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['llama-*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl, { models: ['llama-*'] })],
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
    tokenId = t.tokenId;
    token = t.token;
    client = new OpenAI({ apiKey: t.token, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), upstream?.close()]);
  });

  it('creates a chat completion', async () => {
    const completion = await client.chat.completions.create({
      model: 'llama-3',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe('hello there');
    expect(completion.usage?.total_tokens).toBe(10);
  });

  it('streams a chat completion, usage chunk included', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama-3',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: number | undefined;
    for await (const part of stream) {
      text += part.choices[0]?.delta?.content ?? '';
      if (part.usage) usage = part.usage.total_tokens;
    }
    expect(text).toBe('Hello!');
    expect(usage).toBe(12);
  });

  it('creates embeddings and lists models', async () => {
    const embeddings = await client.embeddings.create({ model: 'llama-embed', input: 'x' });
    expect(embeddings.data[0]!.embedding).toEqual([0.5, 0.25]);
    const models = await client.models.list();
    expect(models.data).toEqual([]); // only globs are allowed and served: no concrete names
  });

  it('surfaces a policy refusal as PermissionDeniedError', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('raises an error mid-stream when the upstream fails, instead of ending normally', async () => {
    upstream.behave((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'par' }, finish_reason: null }] })}\n\n`,
      );
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const stream = await client.chat.completions.create({
      model: 'llama-3',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const consume = async () => {
      for await (const _part of stream) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow(/mid-stream/);
  });

  it('gets AuthenticationError once the token is revoked', async () => {
    await revokeEverywhere(gw, token, tokenId);
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
