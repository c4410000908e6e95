import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { fixtureApp } from './app-fixture.js';

describe('error responses', () => {
  const { app, logs } = fixtureApp();

  it('turns a thrown Error into internal_error with no stack or internals', async () => {
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: {
        code: 'internal_error',
        type: 'api_error',
        message: expect.stringContaining(String(res.headers['x-request-id'])),
        request_id: res.headers['x-request-id'],
      },
    });
    expect(res.text).not.toMatch(/hunter2|db-internal|at .*\.ts|Error:/);
  });

  it('does the same for a rejected async handler', async () => {
    const res = await request(app).get('/async-boom');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(res.text).not.toContain('Cannot read properties');
  });

  it('logs the internal cause of a 500 with its request id, so operators can find it', async () => {
    const res = await request(app).get('/boom');
    const entry = logs().find(
      (l) => l.includes(String(res.headers['x-request-id'])) && l.includes('request failed'),
    );
    expect(entry).toBeDefined();
    expect(entry).toContain('db-internal.corp');
  });

  it('shows a client error with its code, message and details', async () => {
    const res = await request(app).get('/forbidden');
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: 'forbidden',
      type: 'permission_error',
      message: 'you may not do that',
      details: { need: 'admin' },
    });
  });

  it('sends headers an error carries, such as Retry-After', async () => {
    const res = await request(app).get('/limited');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
  });

  it('answers an unknown route with not_found', async () => {
    const res = await request(app).get('/api/v1/unknown');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', type: 'not_found_error' });
  });

  it('refuses an oversized body with 413 before any handler runs', async () => {
    const res = await request(app)
      .post('/echo')
      .send({ data: 'x'.repeat(2_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.received).toBeUndefined();
  });

  it('refuses malformed JSON with invalid_json', async () => {
    const res = await request(app).post('/echo').set('Content-Type', 'application/json').send('{"a":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect(res.text).not.toContain('SyntaxError');
  });

  it('accepts a body within the limit', async () => {
    const res = await request(app).post('/echo').send({ a: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: { a: 1 } });
  });
});

describe('client address', () => {
  it('ignores X-Forwarded-For from an untrusted hop', async () => {
    const { app } = fixtureApp();
    const res = await request(app).get('/ip').set('X-Forwarded-For', '203.0.113.9');
    expect(res.body.ip).not.toBe('203.0.113.9');
  });

  it('honours X-Forwarded-For from a trusted proxy', async () => {
    const { app } = fixtureApp({ trustedProxies: ['127.0.0.1/8', '::1/128', '::ffff:127.0.0.1/104'] });
    const res = await request(app).get('/ip').set('X-Forwarded-For', '203.0.113.9');
    expect(res.body.ip).toBe('203.0.113.9');
  });
});

describe('metrics', () => {
  it('exposes default metrics and a request histogram labelled by route pattern', async () => {
    const { app } = fixtureApp();
    await request(app).get('/ok');
    await request(app).get('/nope/123');
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('process_cpu_user_seconds_total');
    expect(res.text).toMatch(
      /airlock_http_request_duration_seconds_count\{[^}]*route="\/ok"[^}]*status="200"/,
    );
    expect(res.text).toMatch(/route="unmatched"[^}]*status="404"/);
    expect(res.text).not.toContain('/nope/123');
  });
});
