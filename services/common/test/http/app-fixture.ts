import { Router } from 'express';
import { AirlockError } from '../../src/errors.js';
import { createApp } from '../../src/http/create-app.js';
import type { Readiness } from '../../src/http/health.js';
import { createMetrics } from '../../src/metrics.js';
import { captureLogger } from '../../testing/logger.js';

/** An app with routes that succeed, fail in each way, and echo bodies. */
export function fixtureApp(
  overrides: { corsOrigins?: string[]; readiness?: Readiness; trustedProxies?: string[] } = {},
) {
  const router = Router();
  router.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/boom', () => {
    throw new Error('connection to db-internal.corp:5432 failed (password=hunter2)');
  });
  router.get('/async-boom', async () => {
    await Promise.resolve();
    throw new TypeError('Cannot read properties of undefined');
  });
  router.get('/forbidden', () => {
    throw new AirlockError('forbidden', 'you may not do that', { details: { need: 'admin' } });
  });
  router.get('/limited', () => {
    throw new AirlockError('rate_limited', 'slow down', { headers: { 'Retry-After': '7' } });
  });
  router.post('/echo', (req, res) => {
    res.json({ received: req.body as unknown });
  });
  router.get('/ip', (req, res) => {
    res.json({ ip: req.ip });
  });
  const log = captureLogger();
  const metrics = createMetrics('test');
  const app = createApp({
    logger: log.logger,
    metrics,
    readiness: overrides.readiness ?? { phase: 'serving', checks: [] },
    routers: [router],
    corsOrigins: overrides.corsOrigins ?? [],
    trustedProxies: overrides.trustedProxies ?? [],
    bodyLimit: '1kb',
    serveMetrics: true,
  });
  return { app, logs: log.lines, metrics };
}
