// The lean lane (http/direct-routes.ts) takes exactly its routes' method and path, before
// Express; everything else (other methods, other spellings) still reaches the Express app.
// Its equivalence with Express on real gateway traffic: gateway/test/routes/direct-lane.test.ts.
import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import { Router } from 'express';
import request from 'supertest';
import { AirlockError } from '../../src/errors.js';
import { createHttpHandler } from '../../src/http/create-app.js';
import { limitBytes } from '../../src/http/lane-front.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';

function handler() {
  const router = Router();
  router.post('/x', (_req, res) => void res.json({ via: 'express' }));
  router.get('/x', (_req, res) => void res.json({ via: 'express' }));
  return createHttpHandler({
    logger: createLogger({ level: 'silent', service: 'test' }),
    metrics: createMetrics('test'),
    readiness: { phase: 'serving', checks: [] },
    routers: [router],
    corsOrigins: [],
    trustedProxies: [],
    bodyLimit: '1kb',
    serveMetrics: false,
    directRoutes: [
      {
        method: 'POST',
        path: '/x',
        handlers: [(req, res) => void res.json({ via: 'lane', got: req.body as unknown, id: req.id })],
        errorHandlers: [],
      },
      {
        method: 'POST',
        path: '/fails',
        handlers: [
          async () => {
            throw new AirlockError('forbidden', 'no');
          },
        ],
        errorHandlers: [],
      },
    ],
  });
}

describe('the lean lane in front of Express', () => {
  const server = createServer(handler().listener);

  it('serves its own method and path, with the app-wide middleware run first', async () => {
    const res = await request(server).post('/x?q=1').send({ a: 1 });
    expect(res.body).toEqual({ via: 'lane', got: { a: 1 }, id: res.headers['x-request-id'] });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('leaves other methods and spellings to Express', async () => {
    expect((await request(server).get('/x')).body).toEqual({ via: 'express' });
    expect((await request(server).post('/x/').send({})).body).toEqual({ via: 'express' });
  });

  it('renders a rejected handler and a body parser error in the common envelope', async () => {
    const refused = await request(server).post('/fails').send({});
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    const tooLarge = await request(server)
      .post('/x')
      .send({ pad: 'x'.repeat(2000) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('payload_too_large');
  });

  it('sends the same app-wide headers as the Express app (helmet, no-store)', async () => {
    const strip = (h: Record<string, string>) => {
      const { date: _d, 'content-length': _l, 'x-request-id': _i, ...rest } = h;
      return rest;
    };
    const viaLane = await request(server).post('/x').send({});
    const viaExpress = await request(server).post('/x/').send({});
    expect(viaLane.body.via).toBe('lane');
    expect(viaExpress.body.via).toBe('express');
    expect(strip(viaLane.headers as Record<string, string>)).toEqual(
      strip(viaExpress.headers as Record<string, string>),
    );
  });

  it('serves on a server built with its request and response classes (born with the app prototypes)', async () => {
    const h = handler();
    const seen: boolean[] = [];
    const withClasses = createServer(h.serverOptions, (req, res) => {
      seen.push(Object.getPrototypeOf(req) === h.app.request, Object.getPrototypeOf(res) === h.app.response);
      h.listener(req, res);
    });
    expect((await request(withClasses).post('/x').send({ a: 2 })).body.got).toEqual({ a: 2 });
    expect((await request(withClasses).get('/x')).body).toEqual({ via: 'express' });
    expect(seen).toEqual([true, true, true, true]);
  });
});

describe('the lane reads the body limit as body-parser does', () => {
  it.each([
    ['100b', 100],
    ['512kb', 512 * 1024],
    ['4MB', 4 * 1024 * 1024],
    ['4 mb', undefined],
    ['lots', undefined],
  ])('%s', (limit, bytes) => {
    expect(limitBytes(limit)).toBe(bytes);
  });
});
