// Rule: an upstream's error answer reaches the client as JSON only. A JSON body is relayed
// with its status (as application/json, whatever the upstream labelled it); anything else
// (HTML, text, empty) becomes our upstream_error envelope, so no upstream page is served
// from the gateway's origin.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cloud, createTenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const HTML = '<html><script>alert(document.cookie)</script>nginx internal 10.0.0.7</html>';
const OPENAI_ERROR = JSON.stringify({
  error: { message: 'bad model', type: 'invalid_request_error', code: null },
});

describe('upstream error bodies', () => {
  let gw: GatewayHarness;
  let up: FakeUpstream;
  let token: string;

  beforeAll(async () => {
    [gw, up] = await Promise.all([startGateway(), startFakeUpstream()]);
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [cloud('openai', up.baseUrl)],
    });
    token = t.token;
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), up?.close()]);
  });

  const answer = (status: number, contentType: string, body: string) =>
    up.behave((_req, res) => {
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    });

  it.each([
    [400, 'application/json'],
    [401, 'text/plain'],
    [404, 'text/html'],
    [422, 'application/problem+json'],
  ])('relays a JSON %i body labelled %s as application/json', async (status, contentType) => {
    answer(status, contentType, OPENAI_ERROR);
    for (const stream of [false, true]) {
      const res = await post(`${gw.url}/v1/chat/completions`, token, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
        stream,
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.text()).toBe(OPENAI_ERROR);
    }
  });

  it.each([
    [400, 'text/html', HTML],
    [403, 'text/html; charset=utf-8', HTML],
    [404, 'application/json', HTML], // mislabelled: the body decides
    [405, 'text/plain', 'Method Not Allowed'],
    [409, 'application/json', ''],
  ])('turns a non-JSON %i (%s) into our upstream_error envelope', async (status, contentType, body) => {
    answer(status, contentType, body);
    for (const path of ['/v1/chat/completions', '/v1/completions', '/v1/embeddings']) {
      const res = await post(`${gw.url}${path}`, token, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
        prompt: 'x',
        input: 'x',
      });
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toContain('application/json');
      const text = await res.text();
      expect(text).not.toContain('<');
      expect(text).not.toContain('10.0.0.7');
      const json = JSON.parse(text) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('upstream_error');
      expect(json.error.message).toContain(String(status));
    }
  });
});
