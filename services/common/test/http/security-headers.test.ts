import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { fixtureApp } from './app-fixture.js';

const { app } = fixtureApp({ corsOrigins: ['https://console.example.com'] });

const responses: [string, () => request.Test][] = [
  ['200', () => request(app).get('/ok')],
  ['404', () => request(app).get('/nope')],
  ['500', () => request(app).get('/boom')],
  ['403', () => request(app).get('/forbidden')],
  [
    '413',
    () =>
      request(app)
        .post('/echo')
        .send({ big: 'x'.repeat(5_000) }),
  ],
  ['health', () => request(app).get('/healthz')],
  ['metrics', () => request(app).get('/metrics')],
];

describe('security headers', () => {
  it.each(responses)('are on the %s response', async (_name, send) => {
    const res = await send();
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS', () => {
  it('answers an allowed origin, with credentials', async () => {
    const res = await request(app).get('/ok').set('Origin', 'https://console.example.com');
    expect(res.headers['access-control-allow-origin']).toBe('https://console.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('gives any other origin no CORS headers', async () => {
    const res = await request(app).get('/ok').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight only for an allowed origin', async () => {
    const ok = await request(app)
      .options('/echo')
      .set('Origin', 'https://console.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://console.example.com');
    const evil = await request(app)
      .options('/echo')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('request id', () => {
  it('keeps a plain incoming id and echoes it', async () => {
    const res = await request(app).get('/ok').set('X-Request-Id', 'abc-123.def');
    expect(res.headers['x-request-id']).toBe('abc-123.def');
  });

  it('replaces an id that could inject into logs or headers', async () => {
    const res = await request(app).get('/ok').set('X-Request-Id', 'x'.repeat(300));
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
