import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUDIT_STREAM, eventsOfEntry, type Redis } from '@airlock/common';
import { startRedis, waitFor, type ServerProcess } from '@airlock/common/testing';
import { addMemberWithToken, cloud, createTenant, onprem } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

interface Event {
  orgId: string;
  action: string;
  requestId: string;
  outcome: string;
  actor: { id: string };
  details: Record<string, unknown>;
}

async function eventsFor(redis: Redis, orgId: string): Promise<Event[]> {
  const entries = await redis.xrange(AUDIT_STREAM, '-', '+');
  return entries.flatMap(([, fields]) => eventsOfEntry<Event>(fields)).filter((e) => e.orgId === orgId);
}

/** Every value in Redis, as text: strings, streams, hashes, lists, sets, sorted sets. */
async function dumpRedis(redis: Redis): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      out.push(key);
      const type = await redis.type(key);
      if (type === 'string') out.push((await redis.get(key)) ?? '');
      else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    }
  } while (cursor !== '0');
  return out.join('\n');
}

// Own Redis, so the audit stream and every key belong to this suite.
describe('audit events and metrics', () => {
  let redisServer: ServerProcess;
  let gw: GatewayHarness;
  let upstream: FakeUpstream;
  const canary = `CANARY-${Math.random().toString(36).slice(2)}-prompt-text`;

  beforeAll(async () => {
    [redisServer, upstream] = await Promise.all([startRedis(), startFakeUpstream()]);
    gw = await startGateway({ redisUrl: redisServer.url });
  }, 30_000);
  afterAll(async () => {
    await Promise.all([gw?.stop(), upstream?.close()]);
    await redisServer?.destroy();
  });
  const redis = () => gw.server.runtime.redis.client;

  it('records one metadata event per request, and the prompt text appears in no event, log or Redis key', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [
        cloud('openai', upstream.baseUrl, { models: ['gpt-*'] }),
        onprem('vllm', upstream.baseUrl, { models: ['llama-*'] }),
      ],
      limits: { perUser: { requestsPerMinute: 100, tokensPerMinute: 100_000 } },
    });
    const messages = [{ role: 'user', content: `${canary} mail me at canary@corp.example` }];
    const plain = await post(
      `${gw.url}/v1/chat/completions`,
      t.token,
      { model: 'gpt-4o', messages },
      { 'user-agent': 'test-agent/1' },
    );
    expect(plain.status).toBe(200);
    const streamed = await post(`${gw.url}/v1/chat/completions`, t.token, {
      model: 'llama-3',
      messages,
      stream: true,
    });
    await streamed.text();
    const embedded = await post(`${gw.url}/v1/embeddings`, t.token, { model: 'llama-e', input: canary });
    expect(embedded.status).toBe(200);
    const denied = await post(`${gw.url}/v1/chat/completions`, t.token, {
      model: 'nothing-serves-this',
      messages,
    });
    expect(denied.status).toBe(404);

    await waitFor(async () => (await eventsFor(redis(), t.orgId)).length === 4);
    const events = await eventsFor(redis(), t.orgId);
    const first = events.find((e) => e.requestId === plain.headers.get('x-request-id'))!;
    expect(first).toMatchObject({
      action: 'ai.request',
      outcome: 'success',
      // An API-token call: the actor is the token's owner, as in every service (common's auditActorOf).
      actor: { type: 'token', id: t.userId },
      details: {
        model: 'gpt-4o',
        upstream: 'openai',
        endpoint: 'chat.completions',
        status: 200,
        stream: false,
        promptTokens: 7,
        completionTokens: 3,
        usageEstimated: false,
        tokenId: t.tokenId,
        redactions: { email: 1 },
      },
    });
    expect(first.details.latencyMs).toEqual(expect.any(Number));
    expect(events.map((e) => e.details.endpoint).sort()).toEqual([
      'chat.completions',
      'chat.completions',
      'chat.completions',
      'embeddings',
    ]);
    expect(events.find((e) => e.details.status === 404)).toMatchObject({ outcome: 'failure' });

    const everything = [JSON.stringify(events), gw.logs(), await dumpRedis(redis())].join('\n');
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain('canary@corp.example');
  });

  it('takes usage from the final stream chunk when asked for, and marks estimates as such', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      // A server kind the gateway does not ask for usage itself (vllm is: stream-usage.test.ts).
      upstreams: [onprem('generic', upstream.baseUrl, { provider: 'openai-compatible' })],
    });
    const messages = [{ role: 'user', content: 'count me' }];
    const withUsage = await post(`${gw.url}/v1/chat/completions`, t.token, {
      model: 'm',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    await withUsage.text();
    const without = await post(`${gw.url}/v1/chat/completions`, t.token, {
      model: 'm',
      messages,
      stream: true,
    });
    await without.text();
    await waitFor(async () => (await eventsFor(redis(), t.orgId)).length === 2);
    const events = await eventsFor(redis(), t.orgId);
    const byId = (r: Response) => events.find((e) => e.requestId === r.headers.get('x-request-id'))!.details;
    expect(byId(withUsage)).toMatchObject({
      stream: true,
      promptTokens: 9,
      completionTokens: 3,
      usageEstimated: false,
    });
    expect(byId(without)).toMatchObject({
      stream: true,
      promptTokens: 2,
      completionTokens: 2,
      usageEstimated: true,
    });
    expect(byId(without).ttfbMs).toEqual(expect.any(Number));
  });

  it('audits model refusals, by the role (authorize) and by the model list (the gate), under the resolved model', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['llama-*'] }, aliases: { fast: 'gpt-4o' } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
    });
    const viewer = await addMemberWithToken(gw.server.runtime.db, t.orgId, 'viewer');
    const messages = [{ role: 'user', content: 'hi' }];
    const byRole = await post(`${gw.url}/v1/chat/completions`, viewer.token, { model: 'fast', messages });
    const byModel = await post(`${gw.url}/v1/chat/completions`, t.token, { model: 'fast', messages });
    for (const res of [byRole, byModel]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        error: { code: 'model_forbidden', message: 'your role may not use model "gpt-4o"' },
      });
    }
    await waitFor(async () => (await eventsFor(redis(), t.orgId)).length === 2);
    const events = await eventsFor(redis(), t.orgId);
    for (const [res, userId] of [
      [byRole, viewer.userId],
      [byModel, t.userId],
    ] as const) {
      expect(events.find((e) => e.requestId === res.headers.get('x-request-id'))).toMatchObject({
        outcome: 'denied',
        actor: { id: userId },
        details: { model: 'gpt-4o', requestedModel: 'fast', status: 403, errorCode: 'model_forbidden' },
      });
    }
  });

  it('exports request, token, latency and limit metrics labelled by model and upstream, never by user', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(
      /airlock_gateway_requests_total\{endpoint="chat.completions",model="gpt-4o",upstream="openai",status="200"/,
    );
    expect(text).toMatch(
      /airlock_gateway_tokens_total\{model="gpt-4o",upstream="openai",type="prompt"[^}]*\} 7/,
    );
    expect(text).toContain('airlock_gateway_request_duration_seconds_bucket');
    expect(text).toContain('airlock_gateway_upstream_first_byte_seconds_bucket');
    expect(text).toContain('airlock_gateway_rate_limited_total');
    expect(text).not.toMatch(/user(_id)?="/);
    expect(text).toMatch(/model="-"/); // the refused model's name is not a label
    expect(text).not.toContain('nothing-serves-this');
  });
});
