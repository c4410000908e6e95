import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUDIT_STREAM, eventsOfEntry } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { createTenant, onprem, type Tenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

// models.aliases in the policy: the names Claude Code and Codex send, mapped to on-prem models.
describe('policy model aliases', () => {
  let gw: GatewayHarness;
  let vllm: FakeUpstream;
  let tenant: Tenant;

  beforeAll(async () => {
    [gw, vllm] = await Promise.all([startGateway(), startFakeUpstream()]);
    tenant = await createTenant(gw.server.runtime.db, {
      models: {
        allow: { member: ['qwen3-*', 'llama-3.3-70b', 'gpt-oss-*'] },
        aliases: {
          'claude-*': 'qwen3-coder-30b',
          'claude-opus-*': 'qwen3-coder-480b',
          'claude-opus-4-1': 'llama-3.3-70b',
          opus: 'qwen3-coder-480b',
          'gpt-5*': 'gpt-oss-120b',
          'blocked-*': 'mistral-large', // allowed to nobody
          nowhere: 'qwen3-unserved', // allowed, served by no upstream
        },
      },
      upstreams: [onprem('vllm', vllm.baseUrl, { models: ['qwen3-coder-*', 'llama-*', 'gpt-oss-*'] })],
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), vllm?.close()]);
  });

  async function sentModel(model: string, path = '/v1/chat/completions', body: unknown = chat(model)) {
    const before = vllm.received.length;
    const res = await post(`${gw.url}${path}`, tenant.token, body);
    expect(res.status).toBe(200);
    return vllm.received.slice(before).map((r) => r.body.model);
  }

  it('sends an aliased name to the model it maps to, on every API', async () => {
    expect(await sentModel('claude-sonnet-4-5')).toEqual(['qwen3-coder-30b']);
    expect(await sentModel('gpt-5.5')).toEqual(['gpt-oss-120b']);
    expect(
      await sentModel('claude-sonnet-4-5', '/v1/messages', { ...chat('claude-sonnet-4-5'), max_tokens: 8 }),
    ).toEqual(['qwen3-coder-30b']);
    expect(await sentModel('gpt-5-codex', '/v1/responses', { model: 'gpt-5-codex', input: 'hi' })).toEqual([
      'gpt-oss-120b',
    ]);
  });

  it('prefers an exact alias to a pattern, and the longest pattern to a shorter one', async () => {
    expect(await sentModel('claude-opus-4-1')).toEqual(['llama-3.3-70b']); // exact
    expect(await sentModel('claude-opus-4-5')).toEqual(['qwen3-coder-480b']); // claude-opus-* over claude-*
    expect(await sentModel('opus')).toEqual(['qwen3-coder-480b']);
    expect(await sentModel('qwen3-coder-30b')).toEqual(['qwen3-coder-30b']); // no alias: as sent
  });

  it('keeps the refusal codes: the allow list and the routes judge the model an alias maps to', async () => {
    const before = vllm.received.length;
    const forbidden = await post(`${gw.url}/v1/chat/completions`, tenant.token, chat('blocked-model'));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'model_forbidden' } });
    const unrouted = await post(`${gw.url}/v1/chat/completions`, tenant.token, chat('nowhere'));
    expect(unrouted.status).toBe(404);
    expect(await unrouted.json()).toMatchObject({ error: { code: 'not_found' } });
    const unknown = await post(`${gw.url}/v1/chat/completions`, tenant.token, chat('mistral-large'));
    expect(unknown.status).toBe(403);
    expect(vllm.received.length).toBe(before);
  });

  it('lists exact aliases that work, never patterns or aliases to models one may not use', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${tenant.token}` } });
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude-opus-4-1', 'opus']));
    expect(ids).not.toContain('nowhere');
    expect(ids.some((id) => id.includes('*'))).toBe(false);
  });

  it('explains an aliased name the way the gate decides it', async () => {
    const ask = async (model: string) =>
      (await (await post(`${gw.url}/api/v1/access/explain`, tenant.token, { model })).json()) as {
        allowed: boolean;
        resolvedModel: string;
        code?: string;
        steps: { id: string; outcome: string; message: string }[];
      };
    const ok = await ask('claude-opus-4-5');
    expect(ok).toMatchObject({ allowed: true, resolvedModel: 'qwen3-coder-480b' });
    expect(ok.steps.find((s) => s.id === 'model_allowed')!.message).toContain(
      '"claude-opus-4-5" is a policy alias of "qwen3-coder-480b"',
    );
    expect(await ask('blocked-model')).toMatchObject({ allowed: false, code: 'model_forbidden' });
    expect(await ask('nowhere')).toMatchObject({ allowed: false, code: 'not_found' });
  });

  it('audits the model used and the name the caller sent', async () => {
    const redis = gw.server.runtime.redis.client;
    const events = async () =>
      (await redis.xrange(AUDIT_STREAM, '-', '+'))
        .flatMap(([, f]) =>
          eventsOfEntry<{ orgId: string; target: { id: string }; details: Record<string, unknown> }>(f),
        )
        .filter((e) => e.orgId === tenant.orgId && e.details.requestedModel === 'gpt-5.5');
    await waitFor(async () => (await events()).length > 0);
    const [event] = await events();
    expect(event!.details).toMatchObject({ model: 'gpt-oss-120b', requestedModel: 'gpt-5.5', status: 200 });
    expect(event!.target.id).toBe('gpt-oss-120b');
  });
});
