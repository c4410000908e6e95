// Gateway metrics. Labels are endpoint, model (only once the model was allowed, so callers
// cannot blow up cardinality), upstream and status; never user, token or org.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'endpoint' | 'model' | 'upstream' | 'status'>;
  duration: Histogram<'endpoint' | 'model'>;
  upstreamLatency: Histogram<'upstream'>;
  tokens: Counter<'model' | 'upstream' | 'type'>;
  rateLimited: Counter<'scope' | 'metric'>;
  /** Requests refused because Redis was unavailable (degraded mode, failing closed). */
  limiterUnavailable: Counter;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    requests: new Counter({
      name: 'airlock_gateway_requests_total',
      help: 'Model requests by endpoint, model, upstream and status',
      labelNames: ['endpoint', 'model', 'upstream', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'airlock_gateway_request_duration_seconds',
      help: 'Time from request to last byte, by endpoint and model',
      labelNames: ['endpoint', 'model'] as const,
      buckets: BUCKETS,
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'airlock_gateway_upstream_first_byte_seconds',
      help: 'Time until an upstream answered with headers',
      labelNames: ['upstream'] as const,
      buckets: BUCKETS,
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'airlock_gateway_tokens_total',
      help: 'Tokens by model, upstream and type (prompt, completion)',
      labelNames: ['model', 'upstream', 'type'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'airlock_gateway_rate_limited_total',
      help: 'Requests refused by a rate limit or quota, by scope and metric',
      labelNames: ['scope', 'metric'] as const,
      registers: [registry],
    }),
    limiterUnavailable: new Counter({
      name: 'airlock_gateway_limiter_unavailable_total',
      help: 'Requests refused because Redis was unavailable for rate limiting (fail closed)',
      registers: [registry],
    }),
  };
}
