// The /v1 routes are served on common's lean lane in front of Express (http/direct-routes.ts).
// This sends the same requests to a gateway with the lane and to one without it (same
// database, Redis and upstream) and requires the same status, headers and body from both:
// successes, streams, translated APIs, refusals, framework errors and the Anthropic envelope.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTenant, type Tenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { startGateway, type GatewayHarness } from '../harness.js';

/** Headers whose values depend on the moment or on shared counters, not on the path taken. */
const VOLATILE = /^(date|x-ratelimit-remaining-.*|x-ratelimit-reset-.*)$/;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function send(base: string, path: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(`${base}${path}`, init);
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!VOLATILE.test(name)) headers[name] = value;
  });
  // Ids and times the translating routes generate per answer.
  const body = (await res.text())
    .replace(/\b(msg|resp|rs|fc|call|item|toolu)_[A-Za-z0-9_-]{6,}/g, '$1_*')
    .replace(/"created(_at)?":\s*\d+/g, '"created$1":0');
  return { status: res.status, headers, body };
}

describe('the lean /v1 lane answers exactly as Express does', () => {
  let lane: GatewayHarness;
  let express: GatewayHarness;
  let upstream: FakeUpstream;
  let tenant: Tenant;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const env = { AIRLOCK_BODY_LIMIT: '8kb', AIRLOCK_CORS_ORIGINS: 'https://console.example' };
    const first = await startGateway({ env });
    lane = first;
    express = await startGateway({ env, database: first.database, expressOnly: true });
    tenant = await createTenant(lane.server.runtime.db, {
      models: { allow: { member: ['llama-*', 'chat-*'] } },
      upstreams: [
        {
          name: 'compat',
          baseUrl: upstream.baseUrl,
          kind: 'onprem',
          provider: 'openai-compatible',
          models: ['llama-*', 'chat-*'],
        },
      ],
      limits: { perUser: { requestsPerMinute: 100_000, tokensPerMinute: 100_000_000 } },
    });
  }, 30_000);
  afterAll(async () => {
    await express?.server.shutdown();
    await Promise.all([lane?.stop(), upstream?.close()]);
  });

  const chat = { model: 'llama-3', messages: [{ role: 'user', content: 'hi' }] };
  const cases: {
    name: string;
    /** What both must answer: the case really exercises what it is named after. */
    status: number;
    path: string;
    body?: string;
    /** A body that is not a plain string, built afresh for each of the two requests. */
    rawBody?: () => RequestInit['body'];
    headers?: Record<string, string>;
    method?: string;
  }[] = [
    { name: 'chat completion', status: 200, path: '/v1/chat/completions', body: JSON.stringify(chat) },
    {
      name: 'streamed chat completion',
      status: 200,
      path: '/v1/chat/completions',
      body: JSON.stringify({ ...chat, stream: true }),
    },
    { name: 'query string', status: 200, path: '/v1/chat/completions?x=1', body: JSON.stringify(chat) },
    {
      name: 'Messages, translated',
      status: 200,
      path: '/v1/messages',
      body: JSON.stringify({ ...chat, max_tokens: 16 }),
      headers: { 'anthropic-version': '2023-06-01' },
    },
    {
      name: 'Messages, translated and streamed',
      status: 200,
      path: '/v1/messages',
      body: JSON.stringify({ ...chat, max_tokens: 16, stream: true }),
    },
    {
      name: 'Messages, refused in its own envelope',
      status: 400,
      path: '/v1/messages',
      body: JSON.stringify(chat),
    },
    {
      name: 'Responses, translated',
      status: 200,
      path: '/v1/responses',
      body: JSON.stringify({ model: 'llama-3', input: 'hi' }),
    },
    {
      name: 'Responses, streamed',
      status: 200,
      path: '/v1/responses',
      body: JSON.stringify({ model: 'llama-3', input: 'hi', stream: true }),
    },
    { name: 'count_tokens', status: 200, path: '/v1/messages/count_tokens', body: JSON.stringify(chat) },
    {
      name: 'forbidden model',
      status: 403,
      path: '/v1/chat/completions',
      body: JSON.stringify({ ...chat, model: 'gpt-4o' }),
    },
    {
      name: 'invalid body',
      status: 400,
      path: '/v1/chat/completions',
      body: JSON.stringify({ model: 'llama-3' }),
    },
    { name: 'invalid JSON', status: 400, path: '/v1/chat/completions', body: '{"model":' },
    { name: 'invalid JSON on the Anthropic surface', status: 400, path: '/v1/messages', body: '{"model":' },
    {
      name: 'body over the limit',
      status: 413,
      path: '/v1/chat/completions',
      body: JSON.stringify({ ...chat, pad: 'x'.repeat(9000) }),
    },
    {
      name: 'too deeply nested',
      status: 400,
      path: '/v1/chat/completions',
      body: `{"model":"llama-3","x":${'['.repeat(80)}${']'.repeat(80)}}`,
    },
    {
      name: 'unauthenticated',
      status: 401,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    },
    {
      name: 'x-api-key',
      status: 200,
      path: '/v1/messages',
      body: JSON.stringify({ ...chat, max_tokens: 16 }),
      headers: { authorization: '', 'x-api-key': 'TOKEN' },
    },
    { name: 'model list', status: 200, path: '/v1/models', method: 'GET' },
    { name: 'WebSocket probe', status: 426, path: '/v1/responses', method: 'GET' },
    {
      name: 'trailing slash (Express on both)',
      status: 200,
      path: '/v1/chat/completions/',
      body: JSON.stringify(chat),
    },
    { name: 'unknown /v1 path', status: 404, path: '/v1/nothing', body: '{}' },
    // The lane reads plain JSON bodies itself; everything else goes to body-parser: both must
    // answer as Express's body-parser does.
    {
      name: 'JSON with a utf-8 charset',
      status: 200,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    },
    {
      name: 'JSON after a byte-order mark',
      status: 200,
      path: '/v1/chat/completions',
      body: `\uFEFF${JSON.stringify(chat)}`,
    },
    {
      name: 'JSON after whitespace',
      status: 200,
      path: '/v1/chat/completions',
      body: ` \n${JSON.stringify(chat)}`,
    },
    { name: 'empty JSON body', status: 400, path: '/v1/chat/completions', body: '' },
    { name: 'JSON that is not an object', status: 400, path: '/v1/chat/completions', body: '"llama-3"' },
    { name: 'JSON with a trailing comma', status: 400, path: '/v1/messages', body: '{"model":"llama-3",}' },
    {
      name: 'body just under the limit',
      status: 200,
      path: '/v1/chat/completions',
      body: JSON.stringify({ ...chat, pad: 'x'.repeat(8000) }),
    },
    {
      name: 'content type in capitals (body-parser)',
      status: 200,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { 'content-type': 'Application/JSON' },
    },
    {
      name: 'gzip-encoded JSON (body-parser)',
      status: 200,
      path: '/v1/chat/completions',
      rawBody: () => gzipSync(JSON.stringify(chat)),
      headers: { 'content-encoding': 'gzip' },
    },
    {
      name: 'chunked JSON without a length (body-parser)',
      status: 200,
      path: '/v1/chat/completions',
      rawBody: () =>
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(JSON.stringify(chat)));
            c.close();
          },
        }),
    },
    {
      name: 'unsupported charset (body-parser)',
      status: 415,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { 'content-type': 'application/json; charset=latin1' },
    },
    {
      name: 'form body (body-parser)',
      status: 400,
      path: '/v1/chat/completions',
      body: 'model=llama-3',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    {
      name: 'text body (no parser)',
      status: 400,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { 'content-type': 'text/plain' },
    },
    {
      name: 'allowed browser origin (CORS headers)',
      status: 200,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { origin: 'https://console.example' },
    },
    {
      name: 'other browser origin (no CORS headers)',
      status: 200,
      path: '/v1/chat/completions',
      body: JSON.stringify(chat),
      headers: { origin: 'https://elsewhere.example' },
    },
  ];

  it.each(cases)('$name', async ({ status, path, body, rawBody, headers = {}, method = 'POST' }) => {
    const init = (requestId: string): RequestInit => {
      const h: Record<string, string> = {
        'content-type': 'application/json',
        authorization: `Bearer ${tenant.token}`,
        // The same id both ways, so it can be compared (and proves the incoming one is kept).
        'x-request-id': requestId,
        ...headers,
      };
      if (h['x-api-key'] === 'TOKEN') h['x-api-key'] = tenant.token;
      if (h.authorization === '') delete h.authorization;
      if (rawBody) return { method, headers: h, body: rawBody(), duplex: 'half' } as RequestInit;
      return { method, headers: h, body };
    };
    const id = `lane-${Math.random().toString(36).slice(2)}`;
    const viaLane = await send(lane.url, path, init(id));
    const viaExpress = await send(express.url, path, init(id));
    expect(viaLane).toEqual(viaExpress);
    expect(viaLane.status).toBe(status);
    expect(viaLane.headers['x-request-id']).toBe(id);
    expect(viaLane.headers['content-security-policy']).toContain("default-src 'none'");
    expect(viaLane.headers['cache-control']).toBeDefined();
    if (headers.origin !== undefined) {
      expect(viaLane.headers['access-control-allow-origin']).toBe(
        headers.origin === 'https://console.example' ? headers.origin : undefined,
      );
    }
  });

  it('logs the same access line for a refused request either way', async () => {
    const id = 'lane-log-check';
    for (const base of [lane.url, express.url]) {
      await send(base, '/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: '{"model":',
      });
    }
    const line = (logs: string) => {
      const l = logs.split('\n').find((x) => x.includes('"msg":"request"') && x.includes(id));
      const { method, path, status } = JSON.parse(l!) as Record<string, unknown>;
      return { method, path, status };
    };
    expect(line(lane.logs())).toEqual({ method: 'POST', path: '/v1/chat/completions', status: 400 });
    expect(line(express.logs())).toEqual(line(lane.logs()));
  });
});
