import { Router, type Request } from 'express';
import type { Registry } from 'prom-client';

/** A dependency /readyz checks, e.g. the database or Redis. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface Readiness {
  checks: ReadinessCheck[];
  /**
   * starting: modules still starting; draining: shutting down, so load balancers stop
   * sending before connections close. Ready only while serving and every check passes.
   */
  phase: 'starting' | 'serving' | 'draining';
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every check; the result names each dependency's state but never error text. */
export async function probe(
  readiness: Readiness,
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    readiness.checks.map(async ({ name, check }) => {
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        return [name, 'ok'] as const;
      } catch {
        return [name, 'unavailable'] as const;
      }
    }),
  );
  const checks = Object.fromEntries(results);
  return { ready: readiness.phase === 'serving' && results.every(([, s]) => s === 'ok'), checks };
}

/** /healthz: the process is alive (no dependency checks, so Redis down never restarts pods). */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await probe(readiness);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : readiness.phase === 'serving' ? 'unavailable' : readiness.phase,
      checks,
    });
  });
  return router;
}

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/**
 * True for a request from this host that no proxy relayed: the socket's own address (not
 * req.ip, which trusts X-Forwarded-For) is loopback, and no forwarding header is present (a
 * reverse proxy on the same host would otherwise make every public request look local).
 */
export function isDirectLoopback(req: Request): boolean {
  return (
    LOOPBACK.test(req.socket.remoteAddress ?? '') &&
    req.headers['x-forwarded-for'] === undefined &&
    req.headers.forwarded === undefined
  );
}

/**
 * /metrics. On the public port (no AIRLOCK_INTERNAL_PORT) it answers only direct loopback
 * requests (a sidecar or `curl localhost`), 404 otherwise: series names and labels (models,
 * upstreams, routes) are internals the public must not read. The internal port serves all.
 */
export function metricsRoute(registry: Registry, options: { loopbackOnly?: boolean } = {}): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    if (options.loopbackOnly && !isDirectLoopback(req)) return next(); // → the 404 handler
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}
