// Rule: a bound cell is only a faster way to make the same call. For the same traffic the
// /metrics text is byte for byte what plain prom-client calls give, across resets, series a
// plain call created first, bad values (the same errors) and a full cell cache.
import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { CellCache, CounterCell, HistogramCell } from '../../src/metric-cells.js';

const BUCKETS = [0.001, 0.0025, 0.01, 0.1, 1, 10];

function metricsOf() {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'test' });
  const counter = new Counter({
    name: 'test_requests_total',
    help: 'requests',
    labelNames: ['model', 'status'] as const,
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'test_duration_seconds',
    help: 'duration',
    labelNames: ['model'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  return { registry, counter, histogram };
}

// Values on, between, below and above the bounds, fractions that do not add up exactly.
const durations = [0.0004, 0.001, 0.0013, 0.0025, 0.07, 0.1, 0.3, 1, 9.99, 10, 42, 0.1 + 0.2];
const traffic = durations.flatMap((seconds, i) => [
  { model: i % 3 === 0 ? 'gpt-4o' : 'claude', status: i % 4 === 0 ? 429 : 200, seconds, tokens: i * 7 },
]);

type Metrics = ReturnType<typeof metricsOf>;

function plain(m: Metrics, t: (typeof traffic)[number]): void {
  m.counter.inc({ model: t.model, status: String(t.status) }, t.tokens);
  m.histogram.observe({ model: t.model }, t.seconds);
}

function cellsOf(m: Metrics, cap?: number) {
  const counts = new CellCache(([model, status]) => new CounterCell(m.counter, { model, status }), cap);
  const durations = new CellCache(([model]) => new HistogramCell(m.histogram, { model }), cap);
  return (t: (typeof traffic)[number]) => {
    const count = counts.get(t.model, t.status);
    if (count) count.inc(t.tokens);
    else m.counter.inc({ model: t.model, status: String(t.status) }, t.tokens);
    const duration = durations.get(t.model);
    if (duration) duration.observe(t.seconds);
    else m.histogram.observe({ model: t.model }, t.seconds);
  };
}

describe('metric cells', () => {
  it('give the same /metrics text as plain calls for the same traffic', async () => {
    const a = metricsOf();
    const b = metricsOf();
    const cell = cellsOf(b);
    for (let round = 0; round < 3; round++) {
      for (const t of traffic) {
        plain(a, t);
        cell(t);
      }
    }
    const text = await b.registry.metrics();
    expect(text).toBe(await a.registry.metrics());
    expect(text).toContain('test_duration_seconds_bucket{le="0.0025",service="test",model="gpt-4o"}');
    expect(text).toMatch(/test_requests_total\{model="claude",status="200",service="test"\} \d+/);
  });

  it('counts a zero increment as a series, as a plain call does', async () => {
    const a = metricsOf();
    const b = metricsOf();
    a.counter.inc({ model: 'm', status: '200' }, 0);
    new CounterCell(b.counter, { model: 'm', status: '200' }).inc(0);
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    expect(await b.registry.metrics()).toContain(
      'test_requests_total{model="m",status="200",service="test"} 0',
    );
  });

  it('add to a series a plain call created first, and keep counting after a reset', async () => {
    const a = metricsOf();
    const b = metricsOf();
    const cell = cellsOf(b);
    plain(a, traffic[1]!);
    plain(b, traffic[1]!);
    for (const t of traffic) {
      plain(a, t);
      cell(t);
    }
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    a.registry.resetMetrics();
    b.registry.resetMetrics();
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    for (const t of traffic.slice(0, 5)) {
      plain(a, t);
      cell(t);
    }
    const text = await b.registry.metrics();
    expect(text).toBe(await a.registry.metrics());
    expect(text).toContain('test_duration_seconds_count{service="test",model="gpt-4o"} 2');
  });

  it('refuse what prom-client refuses, with its errors, and record nothing for it', async () => {
    const { registry, counter, histogram } = metricsOf();
    const count = new CounterCell(counter, { model: 'm', status: '200' });
    const duration = new HistogramCell(histogram, { model: 'm' });
    count.inc(2);
    duration.observe(0.5);
    expect(() => count.inc(-1)).toThrow('It is not possible to decrease a counter');
    expect(() => count.inc(Infinity)).toThrow('Value is not a valid number');
    expect(() => duration.observe(Number.NaN)).toThrow('Value is not a valid number');
    expect(() => duration.observe(Infinity)).toThrow('Value is not a valid number');
    count.inc();
    const text = await registry.metrics();
    expect(text).toContain('test_requests_total{model="m",status="200",service="test"} 3');
    expect(text).toContain('test_duration_seconds_count{service="test",model="m"} 1');
  });

  it('past the cache cap, leave the caller to the plain call with the same result', async () => {
    const a = metricsOf();
    const b = metricsOf();
    const cell = cellsOf(b, 2);
    for (const t of traffic) {
      plain(a, t);
      cell(t);
    }
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    const cache = new CellCache((values) => values.join('/'), 2);
    expect(cache.get('a', 1)).toBe('a/1');
    expect(cache.get('a', 1)).toBe('a/1');
    expect(cache.get('b', 2)).toBe('b/2');
    expect(cache.get('c', 3)).toBeUndefined();
    expect(cache.get('a', 1)).toBe('a/1'); // the cells it holds stay
  });
});
