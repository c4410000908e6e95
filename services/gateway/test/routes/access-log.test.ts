import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACCESS_LOG_SAMPLE_V1 } from '../../src/module.js';
import { waitFor } from '@airlock/common/testing';
import { createTenant, onprem } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

function accessLines(logs: string): { requestId: string; status: number; path: string; sampled?: number }[] {
  return logs
    .split('\n')
    .filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as { requestId: string; status: number; path: string; sampled?: number });
}

describe('the access log on the model routes', () => {
  let gw: GatewayHarness;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startGateway();
  }, 30_000);
  afterAll(async () => {
    await Promise.all([gw?.stop(), upstream?.close()]);
  });

  it('samples successful model calls but logs every refused or failed one', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['llama-*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl, { models: ['llama-*'] })],
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
    const body = { model: 'llama-3', messages: [{ role: 'user', content: 'hi' }] };
    const successes = ACCESS_LOG_SAMPLE_V1 + 1;
    for (let i = 0; i < successes; i++) {
      const ok = await post(`${gw.url}/v1/chat/completions`, t.token, body);
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
    }
    const forbidden = await post(`${gw.url}/v1/chat/completions`, t.token, { ...body, model: 'gpt-4o' });
    expect(forbidden.status).toBe(403);
    const unauthenticated = await post(`${gw.url}/v1/chat/completions`, 'not-a-token', body);
    expect(unauthenticated.status).toBe(401);
    const ids = [forbidden, unauthenticated].map((r) => r.headers.get('x-request-id'));

    await waitFor(() => {
      const logged = new Set(accessLines(gw.logs()).map((l) => l.requestId));
      return ids.every((id) => logged.has(id!));
    });
    const v1 = accessLines(gw.logs()).filter((l) => l.path.startsWith('/v1/'));
    const ok = v1.filter((l) => l.status === 200);
    // At most one line per ACCESS_LOG_SAMPLE_V1 successes (the counter is per process).
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(2);
    expect(ok.every((l) => l.sampled === ACCESS_LOG_SAMPLE_V1)).toBe(true);
    expect(
      v1
        .filter((l) => l.status >= 400)
        .map((l) => l.status)
        .sort(),
    ).toEqual([401, 403]);
  }, 60_000);
});
