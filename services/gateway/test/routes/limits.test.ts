import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRedis, waitFor, type ServerProcess } from '@airlock/common/testing';
import { createTenant, onprem } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

/**
 * The sum of the counters matching `pattern` in the gateway's Redis: every minute window, since
 * a test may straddle two. Polled until the gateway's asynchronous writes have landed.
 */
async function counted(gw: GatewayHarness, pattern: string): Promise<number> {
  const redis = gw.server.runtime.redis.client;
  let sum = 0;
  for (const key of await redis.keys(pattern)) sum += Number((await redis.get(key)) ?? 0);
  return sum;
}

describe('rate limits and quotas (shared Redis)', () => {
  let gw: GatewayHarness & { database: Awaited<ReturnType<typeof startGateway>>['database'] };
  let gw2: GatewayHarness;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    [gw, upstream] = await Promise.all([startGateway(), startFakeUpstream()]);
    gw2 = await startGateway({ database: gw.database });
  });
  afterAll(async () => {
    await gw2?.stop();
    await Promise.all([gw?.stop(), upstream?.close()]);
  });
  const db = () => gw.server.runtime.db;

  it('refuses the request over a per-user requests/min limit with 429, Retry-After and x-ratelimit headers', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
      limits: { perUser: { requestsPerMinute: 2 } },
    });
    const first = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status).toBe(200);
    const refused = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(((await refused.json()) as { error: { code: string; type: string } }).error).toMatchObject({
      code: 'rate_limited',
      type: 'rate_limit_error',
    });
  });

  it('reserves max_tokens against tokens/min and settles on actual usage', async () => {
    // The fake upstream reports 10 tokens per answer. Reserving 91 each without settling
    // would refuse the third request (3 × 91 > 200); settled, all three pass.
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
      limits: { perRole: { member: { tokensPerMinute: 200 } } },
    });
    for (let i = 0; i < 3; i++) {
      const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat({ max_tokens: 90 }));
      expect(res.status).toBe(200);
      // Settlement runs once the response has closed, a moment later: wait until the charge is
      // the 10 tokens of each answer so far, not the 91 reserved.
      await waitFor(
        async () => (await counted(gw, `airlock:gw:rl:{${t.orgId}}:role:member:tokens:*`)) === 10 * (i + 1),
      );
    }
    const tooBig = await post(`${gw.url}/v1/chat/completions`, t.token, chat({ max_tokens: 190 }));
    expect(tooBig.status).toBe(429);
    expect(tooBig.headers.get('x-ratelimit-limit-tokens')).toBe('200');
  });

  it('enforces a monthly request quota per org', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
      limits: { monthlyQuota: { perOrg: { requests: 2 } } },
    });
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status).toBe(200);
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status).toBe(200);
    const refused = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'monthly quota',
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('holds one limit across two gateway instances on one Redis (no limit × replicas)', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
      limits: { perOrg: { requestsPerMinute: 4 } },
    });
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(`${(i % 2 ? gw2 : gw).url}/v1/chat/completions`, t.token, chat()),
      ),
    ).then((all) => all.map((r) => r.status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it('does not touch Redis limits for an org without limits', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull();
    const keys = await gw.server.runtime.redis.client.keys(`airlock:gw:rl:{${t.orgId}}*`);
    expect(keys).toEqual([]);
  });
});

// Own Redis, so stopping it disturbs no other suite.
describe('when Redis is down', () => {
  let redis: ServerProcess;
  let gw: GatewayHarness;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    [redis, upstream] = await Promise.all([startRedis(), startFakeUpstream()]);
    gw = await startGateway({
      redisUrl: redis.url,
      env: { AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '200', AIRLOCK_GATEWAY_FAILED_AUTH_PER_MINUTE: '3' },
    });
  }, 30_000);
  afterAll(async () => {
    await Promise.all([gw?.stop(), upstream?.close()]);
    await redis?.destroy();
  });

  it('throttles an IP after repeated failed authentications, but never refuses a valid token', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
    });
    for (let i = 0; i < 3; i++) {
      const bad = await post(`${gw.url}/v1/chat/completions`, `al_wrong_token_${i}_xxxxxxxxxxxx`, chat());
      expect(bad.status).toBe(401);
      // The failure is counted in Redis after the 401 is sent: wait until it is.
      await waitFor(async () => (await counted(gw, 'airlock:gw:authfail:*')) === i + 1);
    }
    const blocked = await post(`${gw.url}/v1/chat/completions`, 'al_wrong_token_again_xxxxxxxxxx', chat());
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Someone else behind the same address (office NAT, shared ingress) is still served.
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status).toBe(200);
  });

  it('refuses limited requests with a clear 503 while Redis is down and recovers when it is back', async () => {
    // A fresh gateway: the previous test blocked 127.0.0.1.
    await gw.stop();
    gw = await startGateway({ redisUrl: redis.url, env: { AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '200' } });
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
      limits: { perUser: { requestsPerMinute: 100 } },
    });
    await waitFor(async () => (await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status === 200);
    const before = upstream.received.length;
    await redis.stop();
    const down = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(down.status).toBe(503);
    const body = (await down.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('service_unavailable');
    expect(body.error.message).toContain('Redis');
    expect(upstream.received.length).toBe(before); // fail closed: nothing sent
    const unlimited = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
    });
    expect((await post(`${gw.url}/v1/chat/completions`, unlimited.token, chat())).status).toBe(503);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/airlock_gateway_limiter_unavailable_total\{[^}]*\} [1-9]/);
    await redis.start();
    await waitFor(
      async () => (await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status === 200,
      15_000,
    );
  }, 40_000);
});
