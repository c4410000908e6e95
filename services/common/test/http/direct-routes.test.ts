// The lean lane (http/direct-routes.ts) takes exactly its routes' method and path, before
// Express; everything else (other methods, other spellings) still reaches the Express app.
// Its equivalence with Express on real gateway traffic: gateway/test/routes/direct-lane.test.ts.
import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import { Router } from 'express';
import request from 'supertest';
import { AirlockError } from '../../src/errors.js';
import { createHttpHandler } from '../../src/http/create-app.js';
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
});
