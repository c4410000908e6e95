import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { CellCache, HistogramCell } from './metric-cells.js';

/** One registry per process (not prom-client's global), so tests can build many apps. */
export function createMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Request duration by method, route pattern and status. The route label is the matched
 * pattern (/api/v1/tokens/:id), never the raw path, so ids cannot blow up cardinality.
 */
export function httpMetrics(registry: Registry): RequestHandler {
  const histogram = new Histogram({
    name: 'airlock_http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // Bound cells per method, route and status (metric-cells.ts): no label hashing per request.
  const cells = new CellCache(
    ([method, route, status]) => new HistogramCell(histogram, { method, route, status }),
  );
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      // Elapsed seconds, as prom-client's startTimer reports them (a monotonic clock).
      const seconds = (performance.now() - started) / 1000;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const cell = cells.get(req.method, route, res.statusCode);
      if (cell) cell.observe(seconds);
      else histogram.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
    });
    next();
  };
}
