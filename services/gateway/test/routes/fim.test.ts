import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTenant, onprem, type Tenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

// Fill-in-the-middle (Continue's and Copilot's autocomplete): /v1/completions with prompt and
// suffix reaches the upstream as the client sent it, every field in place, only the model name
// resolved by policy.
describe('FIM on /v1/completions', () => {
  let gw: GatewayHarness;
  let vllm: FakeUpstream;
  let tenant: Tenant;

  beforeAll(async () => {
    [gw, vllm] = await Promise.all([startGateway(), startFakeUpstream()]);
    tenant = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['qwen2.5-coder-*'] }, aliases: { autocomplete: 'qwen2.5-coder-7b' } },
      upstreams: [onprem('vllm', vllm.baseUrl, { models: ['qwen2.5-coder-*'] })],
    });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), vllm?.close()]);
  });

  const fim = {
    prompt: 'def add(a, b):\n    ',
    suffix: '\n\nprint(add(1, 2))\n',
    max_tokens: 16,
    temperature: 0,
    stop: ['\n\n'],
    echo: false,
  };

  it('forwards prompt, suffix and the sampling fields unchanged', async () => {
    const before = vllm.received.length;
    const res = await post(`${gw.url}/v1/completions`, tenant.token, { model: 'qwen2.5-coder-7b', ...fim });
    expect(res.status).toBe(200);
    const sent = vllm.received.slice(before);
    expect(sent.map((r) => r.path)).toEqual(['/v1/completions']);
    expect(sent[0]!.body).toEqual({ model: 'qwen2.5-coder-7b', ...fim });
  });

  it('resolves an alias and changes nothing else', async () => {
    const before = vllm.received.length;
    const res = await post(`${gw.url}/v1/completions`, tenant.token, { model: 'autocomplete', ...fim });
    expect(res.status).toBe(200);
    expect(vllm.received.slice(before).map((r) => r.body)).toEqual([{ model: 'qwen2.5-coder-7b', ...fim }]);
  });
});
