import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPlatformAdmin, createSession } from '@airlock/common/testing';
import { addMemberWithToken, cloud, createTenant, onprem, sealUpstreamKey } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, revokeEverywhere, startGateway, type GatewayHarness } from '../harness.js';

const chatBody = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('routing model requests to upstreams', () => {
  let gw: GatewayHarness;
  let vllm: FakeUpstream;
  let openai: FakeUpstream;

  beforeAll(async () => {
    [gw, vllm, openai] = await Promise.all([startGateway(), startFakeUpstream(), startFakeUpstream()]);
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), vllm?.close(), openai?.close()]);
  });

  const db = () => gw.server.runtime.db;

  it('routes an alias to the upstream that declares it, under the upstream model name', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['fast'] } },
      upstreams: [
        onprem('vllm', vllm.baseUrl, { models: ['llama-3.1-8b'], aliases: { fast: 'llama-3.1-8b' } }),
      ],
    });
    const before = vllm.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('fast'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('hello there');
    const sent = vllm.received.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe('/v1/chat/completions');
    expect(sent[0]!.body.model).toBe('llama-3.1-8b');
  });

  it('never forwards the caller credentials or client headers, and injects the upstream key', async () => {
    const t = await createTenant(db(), { models: { allow: { member: ['*'] } }, upstreams: [] });
    const apiKeyEnc = sealUpstreamKey(gw.keyring, t.orgId, 'vllm', 'upstream-secret-key');
    await db().system.orgPolicy.create({
      data: {
        orgId: t.orgId,
        version: 2,
        document: {
          models: { allow: { member: ['*'] } },
          upstreams: [onprem('vllm', vllm.baseUrl, { apiKeyEnc })],
        },
      },
    });
    const before = vllm.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('m1'), {
      cookie: 'airlock_session=abc',
      'x-client-secret': 'client-only',
      'openai-organization': 'org-caller',
    });
    expect(res.status).toBe(200);
    const headers = vllm.received[before]!.headers;
    expect(headers.authorization).toBe('Bearer upstream-secret-key');
    expect(JSON.stringify(headers)).not.toContain(t.token);
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-client-secret']).toBeUndefined();
    expect(headers['openai-organization']).toBeUndefined();
  });

  it('refuses to use an upstream key sealed for another org, and sends nothing', async () => {
    const t = await createTenant(db(), { models: { allow: { member: ['*'] } }, upstreams: [] });
    const stolen = sealUpstreamKey(
      gw.keyring,
      '00000000-0000-4000-8000-000000000000',
      'vllm',
      'other-orgs-key',
    );
    await db().system.orgPolicy.create({
      data: {
        orgId: t.orgId,
        version: 2,
        document: {
          models: { allow: { member: ['*'] } },
          upstreams: [onprem('vllm', vllm.baseUrl, { apiKeyEnc: stolen })],
        },
      },
    });
    const before = vllm.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('m'));
    expect(res.status).toBe(502);
    expect(vllm.received.length).toBe(before);
    expect(gw.logs()).not.toContain('other-orgs-key');
  });

  it('streams SSE through chunk by chunk with buffering disabled', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl)],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('m', { stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = res.body!.getReader();
    const pieces: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(Buffer.from(value).toString('utf8'));
    }
    const text = pieces.join('');
    expect(pieces.length).toBeGreaterThan(1); // arrived in several chunks, not one buffered blob
    expect(text).toContain('"content":"Hel"');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('serves completions and embeddings through the same routing', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl)],
    });
    const c = await post(`${gw.url}/v1/completions`, t.token, { model: 'm', prompt: 'say' });
    expect(c.status).toBe(200);
    expect(((await c.json()) as { object: string }).object).toBe('text_completion');
    const e = await post(`${gw.url}/v1/embeddings`, t.token, { model: 'm', input: 'embed me' });
    expect(e.status).toBe(200);
    expect(((await e.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('refuses a model the role may not use with 403, without calling an upstream', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['llama-*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl)],
    });
    const before = vllm.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('gpt-4o'));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({
      code: 'model_forbidden',
      type: 'permission_error',
    });
    expect(vllm.received.length).toBe(before);
  });

  it('gives viewers no models at all', async () => {
    const t = await createTenant(
      db(),
      { models: { allow: { viewer: ['*'] } }, upstreams: [onprem('vllm', vllm.baseUrl)] },
      'viewer',
    );
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('m'));
    expect(res.status).toBe(403);
  });

  it('answers 404 for a model no upstream serves', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl, { models: ['llama-*'] })],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('mistral'));
    expect(res.status).toBe(404);
  });

  it('refuses a cloud-only route in offline mode and never calls the cloud upstream', async () => {
    const t = await createTenant(db(), {
      privacyMode: 'offline',
      models: { allow: { member: ['*'] } },
      upstreams: [
        cloud('openai', openai.baseUrl, { models: ['gpt-*'] }),
        onprem('vllm', vllm.baseUrl, { models: ['llama-*'] }),
      ],
    });
    const before = openai.received.length;
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('gpt-4o'));
    expect(res.status).toBe(403);
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('offline_refuses_cloud');
    expect(error.message).toContain('offline');
    expect(openai.received.length).toBe(before);
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('llama-3'))).status).toBe(200);
  });

  it('lists only the models the role may use', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['llama-*', 'fast'] } },
      upstreams: [
        onprem('vllm', vllm.baseUrl, {
          models: ['llama-3.1-8b', 'qwen-2'],
          aliases: { fast: 'llama-3.1-8b' },
        }),
        cloud('openai', openai.baseUrl, { models: ['gpt-4o', 'llama-cloud'] }),
      ],
    });
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['fast', 'llama-3.1-8b', 'llama-cloud']);
  });

  it('answers 401 in the OpenAI error shape without a token, and for a revoked one', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl)],
    });
    const none = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('m'))).status).toBe(200);
    await revokeEverywhere(gw, t.token, t.tokenId);
    const revoked = await post(`${gw.url}/v1/chat/completions`, t.token, chatBody('m'));
    expect(revoked.status).toBe(401);
  });

  it('accepts the admin console session cookie as well as API tokens', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl)],
    });
    const { cookie } = await createSession(db(), t);
    const res = await fetch(`${gw.url}/v1/models`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const wrong = await fetch(`${gw.url}/v1/models`, {
      headers: { cookie: 'airlock_session=not-a-session-value' },
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses an org-less platform admin session with the standard 403 no_org, the model list included', async () => {
    const { cookie } = await createPlatformAdmin(db());
    const headers = { cookie, 'sec-fetch-site': 'same-origin' };
    const before = vllm.received.length;
    const list = await fetch(`${gw.url}/v1/models`, { headers });
    const chat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('m')),
    });
    for (const res of [list, chat]) {
      expect(res.status).toBe(403);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('no_org');
      expect(error.message).toContain('not bound to an organisation');
    }
    expect(vllm.received.length).toBe(before);
  });

  it('lists no models for a viewer, rather than refusing the list', async () => {
    const t = await createTenant(
      db(),
      {
        models: { allow: { viewer: ['*'], member: ['*'] } },
        upstreams: [onprem('vllm', vllm.baseUrl, { models: ['llama-3'] })],
      },
      'viewer',
    );
    const member = await addMemberWithToken(db(), t.orgId, 'member');
    const list = async (token: string) => {
      const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      return {
        status: res.status,
        ids: ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id),
      };
    };
    expect(await list(t.token)).toEqual({ status: 200, ids: [] });
    expect(await list(member.token)).toEqual({ status: 200, ids: ['llama-3'] });
  });

  it('refuses a body without a model or messages with 400', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', vllm.baseUrl)],
    });
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, { messages: [] })).status).toBe(400);
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, { model: 'm' })).status).toBe(400);
  });
});
