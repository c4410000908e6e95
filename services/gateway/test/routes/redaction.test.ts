import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTenant, cloud, onprem } from '../fixtures.js';
import { openAiBehaviour, startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const SECRET_PROMPT = 'email jane@corp.example, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE';

describe('redaction before upstreams', () => {
  let gw: GatewayHarness;
  let cloudUp: FakeUpstream;
  let onpremUp: FakeUpstream;

  beforeAll(async () => {
    [gw, cloudUp, onpremUp] = await Promise.all([startGateway(), startFakeUpstream(), startFakeUpstream()]);
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), cloudUp?.close(), onpremUp?.close()]);
  });
  const db = () => gw.server.runtime.db;
  const chat = (model: string) => ({ model, messages: [{ role: 'user', content: SECRET_PROMPT }] });

  it('redacts what goes to a cloud upstream and leaves on-prem traffic as the policy says', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [
        cloud('openai', cloudUp.baseUrl, { models: ['gpt-*'] }),
        onprem('vllm', onpremUp.baseUrl, { models: ['llama-*'] }),
      ],
    });
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat('gpt-4o'))).status).toBe(200);
    const sent = JSON.stringify(cloudUp.received.at(-1)!.body);
    expect(sent).not.toContain('jane@corp.example');
    expect(sent).not.toContain('4111 1111 1111 1111');
    expect(sent).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(sent).toContain('[REDACTED:email]');
    expect(sent).toContain('[REDACTED:card]');
    expect(sent).toContain('[REDACTED:aws_access_key]');

    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat('llama-3'))).status).toBe(200);
    expect(JSON.stringify(onpremUp.received.at(-1)!.body)).toContain('jane@corp.example');
  });

  it('redacts on-prem traffic too when the policy asks for it', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', onpremUp.baseUrl)],
      redaction: { onprem: true },
    });
    expect(
      (await post(`${gw.url}/v1/embeddings`, t.token, { model: 'e', input: [SECRET_PROMPT] })).status,
    ).toBe(200);
    expect(JSON.stringify(onpremUp.received.at(-1)!.body)).not.toContain('jane@corp.example');
  });

  it('forces redaction for cloud upstreams in sensitive mode, even if the policy turned it off', async () => {
    const t = await createTenant(db(), {
      privacyMode: 'sensitive',
      models: { allow: { member: ['*'] } },
      upstreams: [cloud('openai', cloudUp.baseUrl)],
      redaction: { cloud: false },
    });
    expect(
      (await post(`${gw.url}/v1/completions`, t.token, { model: 'gpt', prompt: SECRET_PROMPT })).status,
    ).toBe(200);
    expect(JSON.stringify(cloudUp.received.at(-1)!.body)).not.toContain('jane@corp.example');
  });

  /**
   * A tenant whose policy has one custom pattern and a cloud upstream. Written around the
   * policy API, which would refuse some of these patterns.
   */
  async function tenantWithPattern(pattern: { name: string; pattern: string }) {
    const t = await createTenant(db(), { models: { allow: { member: ['*'] } }, upstreams: [] });
    await db().system.orgPolicy.create({
      data: {
        orgId: t.orgId,
        version: 2,
        document: {
          models: { allow: { member: ['*'] } },
          upstreams: [cloud('openai', cloudUp.baseUrl)],
          redaction: { customPatterns: [pattern] },
        },
      },
    });
    return t;
  }

  it('refuses the request, sending nothing, when a redaction pattern is broken', async () => {
    const t = await tenantWithPattern({ name: 'bad', pattern: '([' });
    const before = cloudUp.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat('gpt-4o'));
    // The stored document no longer parses: a coded refusal (not a 500) the admin can act on.
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('policy_invalid');
    expect(cloudUp.received.length).toBe(before);
  });

  it('matches a catastrophic-backtracking pattern in linear time over 400 fields, serving /healthz meanwhile', async () => {
    // (a|a)+b backtracks exponentially in JavaScript's engine; with RE2 it is linear. The
    // upstream holds its answer until /healthz has answered, so the health check is served
    // while this request is in flight (ordering, not a timing threshold).
    const t = await tenantWithPattern({ name: 'evil', pattern: '(a|a)+b' });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    cloudUp.behave(async (req, res, raw) => {
      await released;
      await openAiBehaviour(req, res, raw);
    });
    try {
      const fields = Array.from({ length: 400 }, (_, i) => (i % 100 === 0 ? 'x aaab y' : 'a'.repeat(2_000)));
      const pending = post(`${gw.url}/v1/chat/completions`, t.token, {
        model: 'gpt-4o',
        messages: fields.map((content) => ({ role: 'user', content })),
      });
      const health = await fetch(`${gw.url}/healthz`);
      expect(health.status).toBe(200);
      release();
      const res = await pending;
      expect(res.status).toBe(200);
      const sent = cloudUp.received.at(-1)!.body.messages as { content: string }[];
      expect(sent).toHaveLength(400);
      // Correct RE2 results: the four "aaab" fields redacted, the long a-runs (no b) kept.
      expect(sent.filter((m) => m.content === 'x [REDACTED:evil] y')).toHaveLength(4);
      expect(sent.filter((m) => m.content === 'a'.repeat(2_000))).toHaveLength(396);
    } finally {
      release();
      cloudUp.behave(openAiBehaviour);
    }
  });

  it('refuses, sending nothing, a stored pattern RE2 cannot compile (lookaround, written before the RE2 check)', async () => {
    const t = await tenantWithPattern({ name: 'look', pattern: 'secret(?=!)' });
    const before = cloudUp.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat('gpt-4o'));
    // The stored document no longer parses (the policy reader refuses it with a code the
    // admin can act on): the request is refused and nothing is sent.
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('policy_invalid');
    expect(cloudUp.received.length).toBe(before);
  });

  it('redacts with a custom pattern, counting matches', async () => {
    const t = await tenantWithPattern({ name: 'ticket', pattern: 'TCK-\\d{4}' });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'see TCK-1234 and TCK-9876' }],
    });
    expect(res.status).toBe(200);
    const sent = JSON.stringify(cloudUp.received.at(-1)!.body);
    expect(sent).not.toContain('TCK-1234');
    expect(sent).toContain('[REDACTED:ticket]');
  });
});
