import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@airlock/common/testing';
import { createTenant, onprem } from '../fixtures.js';
import { chunk, json, openAiBehaviour, startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

// The policy schema's default upstream timeout (services/common/src/policy/schema.ts).
const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('upstream resilience', () => {
  let gw: GatewayHarness;
  const upstreams: FakeUpstream[] = [];
  const upstream = async () => {
    const u = await startFakeUpstream();
    upstreams.push(u);
    return u;
  };

  beforeAll(async () => {
    gw = await startGateway({
      env: {
        AIRLOCK_GATEWAY_RETRIES: '2',
        AIRLOCK_GATEWAY_BREAKER_VOLUME: '3',
        // Long enough that the open breaker is still open for the two requests that check it
        // on a loaded machine; the test waits for half-open instead of sleeping this long.
        AIRLOCK_GATEWAY_BREAKER_RESET_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), ...upstreams.map((u) => u.close())]);
  });
  const db = () => gw.server.runtime.db;
  const breakerStates = async () => (await fetch(`${gw.url}/metrics`)).text();
  const tenant = (ups: ReturnType<typeof onprem>[]) =>
    createTenant(db(), { models: { allow: { member: ['*'] } }, upstreams: ups });

  it('retries a 503 with backoff and falls back to the next upstream in the chain', async () => {
    const [down, up] = [await upstream(), await upstream()];
    down.behave((_req, res) => json(res, 503, { error: { message: 'overloaded' } }));
    const t = await tenant([onprem('first', down.baseUrl), onprem('second', up.baseUrl)]);
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(res.status).toBe(200);
    expect(down.received).toHaveLength(3); // one try and two retries
    expect(up.received).toHaveLength(1);
  });

  it('succeeds on a retry after a transient 502', async () => {
    const flaky = await upstream();
    let calls = 0;
    flaky.behave((req, res, raw) => (++calls === 1 ? json(res, 502, {}) : openAiBehaviour(req, res, raw)));
    const t = await tenant([onprem('flaky', flaky.baseUrl)]);
    expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('retries connect errors and answers 503 when nothing is listening', async () => {
    const port = await freePort();
    const t = await tenant([onprem('nowhere', `http://127.0.0.1:${port}/v1`)]);
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_unavailable');
    expect(gw.logs()).toContain('ECONNREFUSED');
  });

  it('opens the circuit breaker after repeated failures, then half-opens and closes again', async () => {
    const broken = await upstream();
    broken.behave((_req, res) => json(res, 500, { error: { message: 'boom' } }));
    const t = await tenant([onprem('brittle', broken.baseUrl)]);
    for (let i = 0; i < 3; i++) {
      expect((await post(`${gw.url}/v1/chat/completions`, t.token, chat())).status).toBe(502);
    }
    const seen = broken.received.length;
    const open = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(open.status).toBe(503);
    expect(((await open.json()) as { error: { message: string } }).error.message).toContain('circuit open');
    expect(broken.received.length).toBe(seen); // the open breaker did not call it
    expect(await breakerStates()).toMatch(/airlock_gateway_breaker_state\{upstream="brittle"[^}]*\} 2/);

    broken.behave(openAiBehaviour);
    await waitFor(async () =>
      /airlock_gateway_breaker_state\{upstream="brittle"[^}]*\} 1/.test(await breakerStates()),
    );
    const trial = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    expect(trial.status).toBe(200);
    expect(await breakerStates()).toMatch(/airlock_gateway_breaker_state\{upstream="brittle"[^}]*\} 0/);
  });

  it('answers 504 within the configured time when an upstream hangs', async () => {
    const hanging = await upstream();
    hanging.behave(() => undefined); // accepts, never answers
    const t = await tenant([onprem('slow', hanging.baseUrl, { timeoutMs: 300 })]);
    const started = Date.now();
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat());
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The configured 300 ms applied, not the policy's 60 s default: far below the default (a
    // loaded machine adds seconds, not a minute), one attempt (a timeout is not retried) and
    // the gateway hung up on the upstream rather than waiting on.
    expect(elapsed).toBeLessThan(DEFAULT_UPSTREAM_TIMEOUT_MS / 4);
    expect(hanging.received).toHaveLength(1);
    await waitFor(() => hanging.closedRequests === 1);
  });

  it('closes the upstream request when the client disconnects mid-stream', async () => {
    const slow = await upstream();
    slow.behave((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(String(req.body.model), 'first'))}\n\n`);
      // …and then nothing: a long generation
    });
    const t = await tenant([onprem('slowstream', slow.baseUrl)]);
    const controller = new AbortController();
    const res = await post(
      `${gw.url}/v1/chat/completions`,
      t.token,
      chat({ stream: true }),
      {},
      controller.signal,
    );
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toContain('first');
    controller.abort();
    await waitFor(() => slow.closedRequests === 1, 3_000);
    expect(slow.closedRequests).toBe(1);
  });

  it('closes the upstream request when the client hangs up before the answer', async () => {
    const silent = await upstream();
    silent.behave(() => undefined); // never answers
    const t = await tenant([onprem('silent', silent.baseUrl)]);
    const controller = new AbortController();
    const pending = post(`${gw.url}/v1/chat/completions`, t.token, chat(), {}, controller.signal);
    await waitFor(() => silent.received.length === 1, 3_000);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => silent.closedRequests === 1, 3_000);
    expect(silent.received).toHaveLength(1); // a hang-up is not retried
  });

  it('passes an upstream reset mid-stream on as an error event, never as a normal end', async () => {
    const resetting = await upstream();
    resetting.behave((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(String(req.body.model), 'partial'))}\n\n`);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const t = await tenant([onprem('resetting', resetting.baseUrl)]);
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat({ stream: true }));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('partial');
    expect(text).toContain('event: error');
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('"finish_reason":"stop"');
  });
});
