// Gateway metrics. Labels are endpoint, model (only once the model was allowed, so callers
// cannot blow up cardinality), upstream and status; never user, token or org.
import { CellCache, CounterCell, HistogramCell } from '@airlock/common';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'endpoint' | 'model' | 'upstream' | 'status'>;
  duration: Histogram<'endpoint' | 'model'>;
  upstreamLatency: Histogram<'upstream'>;
  tokens: Counter<'model' | 'upstream' | 'type'>;
  rateLimited: Counter<'scope' | 'metric'>;
  /** Requests refused because Redis was unavailable (degraded mode, failing closed). */
  limiterUnavailable: Counter;
  /** The per-request records, through bound cells (metric-cells.ts). */
  perRequest: RequestMetrics;
}

/**
 * What every model request records: the request count, its duration, the tokens (finish())
 * and the upstream's first byte; the same series as plain calls on the metrics above,
 * without per-call label hashing.
 */
export class RequestMetrics {
  private readonly requests: CellCache<CounterCell<'endpoint' | 'model' | 'upstream' | 'status'>>;
  private readonly duration: CellCache<HistogramCell<'endpoint' | 'model'>>;
  private readonly tokens: CellCache<{
    prompt: CounterCell<TokenLabel>;
    completion: CounterCell<TokenLabel>;
  }>;

  private readonly firstByte: CellCache<HistogramCell<'upstream'>>;

  constructor(private readonly m: Omit<GatewayMetrics, 'perRequest'>) {
    this.requests = new CellCache(
      ([endpoint, model, upstream, status]) =>
        new CounterCell(m.requests, { endpoint, model, upstream, status }),
    );
    this.duration = new CellCache(([endpoint, model]) => new HistogramCell(m.duration, { endpoint, model }));
    this.firstByte = new CellCache(([upstream]) => new HistogramCell(m.upstreamLatency, { upstream }));
    this.tokens = new CellCache(([model, upstream]) => ({
      prompt: new CounterCell(m.tokens, { model, upstream, type: 'prompt' }),
      completion: new CounterCell(m.tokens, { model, upstream, type: 'completion' }),
    }));
  }

  request(endpoint: string, model: string, upstream: string, status: number, seconds: number): void {
    const count = this.requests.get(endpoint, model, upstream, status);
    if (count) count.inc();
    else this.m.requests.inc({ endpoint, model, upstream, status: String(status) });
    const duration = this.duration.get(endpoint, model);
    if (duration) duration.observe(seconds);
    else this.m.duration.observe({ endpoint, model }, seconds);
  }

  tokensUsed(model: string, upstream: string, prompt: number, completion: number): void {
    const cells = this.tokens.get(model, upstream);
    if (cells) {
      cells.prompt.inc(prompt);
      cells.completion.inc(completion);
    } else {
      this.m.tokens.inc({ model, upstream, type: 'prompt' }, prompt);
      this.m.tokens.inc({ model, upstream, type: 'completion' }, completion);
    }
  }

  upstreamFirstByte(upstream: string, seconds: number): void {
    const cell = this.firstByte.get(upstream);
    if (cell) cell.observe(seconds);
    else this.m.upstreamLatency.observe({ upstream }, seconds);
  }
}

type TokenLabel = 'model' | 'upstream' | 'type';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const metrics = {
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
  return { ...metrics, perRequest: new RequestMetrics(metrics) };
}
