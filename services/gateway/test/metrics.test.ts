// Rule: the gateway's per-request metrics (finish()'s bound cells) write exactly the series
// the plain prom-client calls wrote before: same names, labels and values for the same traffic.
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '../src/metrics.js';

function registry() {
  const r = new Registry();
  r.setDefaultLabels({ service: 'gateway' });
  return r;
}

const traffic = [
  ['chat.completions', 'gpt-4o', 'openai', 200, 0.0123, 12, 7],
  ['chat.completions', 'gpt-4o', 'openai', 200, 0.25, 3, 0],
  ['chat.completions', '-', '-', 401, 0.0004, undefined, undefined],
  ['messages', 'claude', 'anthropic', 499, 31, 40, 2],
  ['chat.completions', 'gpt-4o', 'azure', 502, 1.5, 0, 0],
  ['completions', 'gpt-4o', 'openai', 200, 0.1 + 0.2, 1, 1],
] as const;

describe('gateway metrics', () => {
  it('record a finished request as the plain calls did', async () => {
    const plainRegistry = registry();
    const cellRegistry = registry();
    const plain = createGatewayMetrics(plainRegistry);
    const cells = createGatewayMetrics(cellRegistry);
    for (let round = 0; round < 2; round++) {
      for (const [endpoint, model, upstream, status, seconds, prompt, completion] of traffic) {
        plain.requests.inc({ endpoint, model, upstream, status: String(status) });
        plain.duration.observe({ endpoint, model }, seconds);
        cells.perRequest.request(endpoint, model, upstream, status, seconds);
        plain.upstreamLatency.observe({ upstream }, seconds / 3);
        cells.perRequest.upstreamFirstByte(upstream, seconds / 3);
        if (prompt !== undefined) {
          plain.tokens.inc({ model, upstream, type: 'prompt' }, prompt);
          plain.tokens.inc({ model, upstream, type: 'completion' }, completion);
          cells.perRequest.tokensUsed(model, upstream, prompt, completion);
        }
      }
    }
    const text = await cellRegistry.metrics();
    expect(text).toBe(await plainRegistry.metrics());
    expect(text).toMatch(
      /airlock_gateway_requests_total\{endpoint="chat.completions",model="gpt-4o",upstream="openai",status="200",service="gateway"\} 4/,
    );
    expect(text).toMatch(
      /airlock_gateway_tokens_total\{model="claude",upstream="anthropic",type="prompt"[^}]*\} 80/,
    );
    expect(text).toMatch(/airlock_gateway_request_duration_seconds_count\{[^}]*model="-"[^}]*\} 2/);
    expect(text).toMatch(
      /airlock_gateway_upstream_first_byte_seconds_count\{[^}]*upstream="openai"[^}]*\} 6/,
    );
  });
});
