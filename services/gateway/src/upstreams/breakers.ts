// One opossum circuit breaker per upstream (per org, name and base URL, so a policy edit
// that moves an upstream starts clean). State is exported as a gauge: 0 closed, 1 half-open,
// 2 open, labelled by upstream name only.
import CircuitBreaker from 'opossum';
import { Gauge, type Registry } from 'prom-client';

export interface BreakerSettings {
  volumeThreshold: number;
  errorThresholdPercentage: number;
  resetTimeoutMs: number;
}

type Action = (attempt: () => Promise<unknown>) => Promise<unknown>;

export interface Breaker {
  readonly upstream: string;
  fire<T>(attempt: () => Promise<T>): Promise<T>;
  state(): 'closed' | 'half-open' | 'open';
}

/** Errors that say nothing about the upstream's health (caller aborts, 429, refusals). */
export type NeutralError = (error: unknown) => boolean;

export class BreakerRegistry {
  private readonly breakers = new Map<
    string,
    { upstream: string; breaker: CircuitBreaker<[() => Promise<unknown>], unknown>; handle: Breaker }
  >();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly neutral: NeutralError,
    metrics: Registry,
  ) {
    const breakers = this.breakers;
    new Gauge({
      name: 'airlock_gateway_breaker_state',
      help: 'Upstream circuit breaker state: 0 closed, 1 half-open, 2 open (worst per upstream name)',
      labelNames: ['upstream'] as const,
      registers: [metrics],
      collect() {
        this.reset();
        const worst = new Map<string, number>();
        for (const { upstream, breaker } of breakers.values()) {
          const value = breaker.opened ? 2 : breaker.halfOpen ? 1 : 0;
          worst.set(upstream, Math.max(worst.get(upstream) ?? 0, value));
        }
        for (const [upstream, value] of worst) this.set({ upstream }, value);
      },
    });
  }

  get(key: string, upstream: string): Breaker {
    let entry = this.breakers.get(key);
    if (!entry) {
      const action: Action = (attempt) => attempt();
      const breaker = new CircuitBreaker(action, {
        timeout: false, // timeouts are the upstream client's (connect, first byte, total)
        volumeThreshold: this.settings.volumeThreshold,
        errorThresholdPercentage: this.settings.errorThresholdPercentage,
        resetTimeout: this.settings.resetTimeoutMs,
        errorFilter: (e: unknown) => this.neutral(e),
        // Nothing reads opossum's latency percentiles or its snapshot events (the metrics
        // are our own): without them a call records a count, not a latency that every
        // second's snapshot concatenates and sorts over the whole 10 s window.
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
      });
      // One handle per breaker, not one per request.
      const handle: Breaker = {
        upstream,
        fire: <T>(attempt: () => Promise<T>) => breaker.fire(attempt) as Promise<T>,
        state: () => (breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed'),
      };
      entry = { upstream, breaker, handle };
      this.breakers.set(key, entry);
    }
    return entry.handle;
  }

  shutdown(): void {
    for (const { breaker } of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }
}

/** True when opossum refused to call because the breaker is open. */
export function isBreakerOpen(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'EOPENBREAKER';
}
