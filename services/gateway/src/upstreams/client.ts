// Calls upstreams: a keep-alive undici Pool per origin, the upstream's own key, timeouts
// (connect, first byte, total), retries with backoff on connect errors and 429/502/503, a
// circuit breaker per upstream, and the fallback chain. Only request headers built here go
// out: the caller's Authorization, cookies and client headers never reach an upstream.
import { Pool } from 'undici';
import type { Registry } from 'prom-client';
import {
  type AirlockError,
  createUpstreamKeyBox,
  isAirlockError,
  type Keyring,
  type Logger,
} from '@airlock/common';
import { gatewayErrors } from '../errors.js';
import { AbortEmitter, sleepUnlessAborted, type AbortLike } from './abort.js';
import { exchange, type UpstreamBody, type UpstreamHeaders } from './exchange.js';
import { BreakerRegistry, isBreakerOpen, type BreakerSettings } from './breakers.js';
import type { DestinationPolicy } from './destinations.js';
import { PROVIDERS, type Operation, type ProviderName } from './index.js';

/** One upstream a request may go to, as the routing decision resolved it. */
export interface RouteTarget {
  orgId: string;
  name: string;
  kind: 'onprem' | 'cloud';
  provider: ProviderName;
  baseUrl: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  apiKeyEnc?: string;
  /** The model name this upstream knows the requested model by. */
  upstreamModel: string;
}

export interface UpstreamResponse {
  target: RouteTarget;
  statusCode: number;
  headers: UpstreamHeaders;
  body: UpstreamBody;
  ttfbMs: number;
  /** Stops the total timeout (streams: once headers are in, the idle timeout governs). */
  release(): void;
}

export interface UpstreamClientOptions {
  keyring: Keyring;
  logger: Logger;
  metrics: Registry;
  destinations: DestinationPolicy;
  retries: number;
  backoffMs: number;
  breakers: BreakerSettings;
}

const RETRY_STATUS = new Set([429, 502, 503]);
const FAIL_STATUS = new Set([429, 500, 502, 503, 504]);
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

class UpstreamStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly retryAfter?: string,
  ) {
    super(`upstream answered ${statusCode}`);
  }
}

class TotalTimeoutError extends Error {
  readonly code = 'AIRLOCK_TOTAL_TIMEOUT';
}

/** An attempt's total timeout: its signal (exchange() listens on it) aborts. */
function expire(signal: AbortEmitter): void {
  signal.abort(new TotalTimeoutError('total timeout'));
}

const codeOf = (e: unknown): string | undefined => {
  const err = e as { code?: string; cause?: { code?: string } } | null;
  return err?.code ?? err?.cause?.code;
};

const isTimeout = (e: unknown) =>
  e instanceof TotalTimeoutError ||
  ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].includes(codeOf(e) ?? '');
const isRefused = (e: unknown) => codeOf(e) === 'EAIRLOCKREFUSED';
const isAbort = (e: unknown) => (e as Error | null)?.name === 'AbortError' || codeOf(e) === 'UND_ERR_ABORTED';

/** Bound on the per-URL destination verdicts (policies name a handful of upstreams). */
const MAX_CACHED_VERDICTS = 1000;

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  private readonly verdicts = new Map<string, boolean>();
  private readonly endpoints = new Map<string, { pool: Pool; prefix: string }>();
  private readonly keys = new Map<string, string>();
  private readonly breakers: BreakerRegistry;
  private readonly box;

  constructor(private readonly options: UpstreamClientOptions) {
    this.box = createUpstreamKeyBox(options.keyring);
    this.breakers = new BreakerRegistry(
      options.breakers,
      // Neither a caller hanging up, nor the upstream's own rate limit, nor our refusal to
      // dial says the upstream is broken.
      (e) => isAbort(e) || isRefused(e) || (e instanceof UpstreamStatusError && e.statusCode === 429),
      options.metrics,
    );
  }

  breakerState(target: RouteTarget): 'closed' | 'half-open' | 'open' {
    return this.breakerFor(target).state();
  }

  private breakerFor(target: RouteTarget) {
    return this.breakers.get(`${target.orgId}|${target.name}|${target.baseUrl}`, target.name);
  }

  private pool(url: URL, connectTimeoutMs: number): Pool {
    const key = `${url.origin}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(url.origin, {
        connections: 256,
        keepAliveTimeout: 30_000,
        connect: { timeout: connectTimeoutMs, lookup: this.options.destinations.lookupFor(url.hostname) },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** A base URL parsed once: the pool for its origin and the path in front of the API's. */
  private endpoint(target: RouteTarget): { pool: Pool; prefix: string } {
    const key = `${target.connectTimeoutMs}|${target.baseUrl}`;
    let endpoint = this.endpoints.get(key);
    if (!endpoint) {
      const url = new URL(target.baseUrl);
      endpoint = { pool: this.pool(url, target.connectTimeoutMs), prefix: url.pathname.replace(/\/$/, '') };
      if (this.endpoints.size >= MAX_CACHED_VERDICTS) this.endpoints.clear();
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  private apiKey(target: RouteTarget): string | undefined {
    if (!target.apiKeyEnc) return undefined;
    let key = this.keys.get(target.apiKeyEnc);
    if (key === undefined) {
      // Sealed by rbac for this org and upstream name (associated data): a key copied into
      // another org's policy, or onto another upstream, does not open.
      key = this.box.open(target.orgId, target.name, target.apiKeyEnc);
      this.keys.set(target.apiKeyEnc, key);
    }
    return key;
  }

  /** May this target be dialled at all? Checked before any connection is attempted. */
  destinationAllowed(target: RouteTarget): boolean {
    // The verdict depends only on the base URL and the fixed rules, so it is kept per URL
    // (called for every request; URL parsing and address matching cost more than the lookup).
    // The resolved address is still checked in the socket's lookup on every new connection.
    let allowed = this.verdicts.get(target.baseUrl);
    if (allowed === undefined) {
      try {
        allowed = this.options.destinations.hostVerdict(new URL(target.baseUrl).hostname) !== 'refused';
      } catch {
        allowed = false;
      }
      if (this.verdicts.size >= MAX_CACHED_VERDICTS) this.verdicts.clear();
      this.verdicts.set(target.baseUrl, allowed);
    }
    return allowed;
  }

  private async attempt(
    target: RouteTarget,
    operation: Operation,
    body: string,
    key: string | undefined,
    requestId: string,
    signal: AbortLike,
    stream: boolean,
    callerHeaders: Readonly<Record<string, string | undefined>>,
  ): Promise<UpstreamResponse> {
    const { pool, prefix } = this.endpoint(target);
    const spec = PROVIDERS[target.provider];
    const path = spec.paths[operation];
    if (path === undefined) throw new Error(`provider ${spec.name} does not speak ${operation}`);
    const forwarded: Record<string, string> = {};
    // Only the headers the kind declares, and only when it is spoken to in the caller's own API.
    if (operation === 'messages') {
      for (const name of spec.forwardHeaders ?? []) {
        const value = callerHeaders[name];
        if (typeof value === 'string' && value.length <= 1024) forwarded[name] = value;
      }
    }
    const headers: Record<string, string> = {
      ...forwarded,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'user-agent': 'airlock-gateway',
      'x-request-id': requestId,
      ...(key ? spec.authHeaders(key) : {}),
    };
    const total = new AbortEmitter();
    const timer = setTimeout(expire, target.timeoutMs, total);
    const onAbort = () => total.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const release = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const started = performance.now();
    try {
      const res = await exchange(
        pool,
        {
          method: 'POST',
          path: `${prefix}${path}`,
          headers,
          body,
          headersTimeout: target.timeoutMs,
          bodyTimeout: target.timeoutMs,
        },
        // Carries both the total timeout and the caller hanging up (forwarded by onAbort).
        total,
      );
      if (FAIL_STATUS.has(res.statusCode)) {
        await res.body.dump();
        release();
        throw new UpstreamStatusError(res.statusCode, res.headers['retry-after']);
      }
      // Streams may legitimately outlive the total timeout; the body idle timeout guards them.
      if (stream) clearTimeout(timer);
      return { target, ...res, ttfbMs: performance.now() - started, release };
    } catch (e) {
      release();
      if (total.aborted && total.reason instanceof TotalTimeoutError) throw total.reason;
      throw e;
    }
  }

  /**
   * Sends to the first target that answers, in order. Client errors from an upstream (4xx
   * except 429) are answers, not failures. Throws an upstream AirlockError when every target failed.
   */
  async send(
    targets: readonly RouteTarget[],
    operation: Operation | ((target: RouteTarget) => Operation),
    bodyFor: (target: RouteTarget) => string,
    requestId: string,
    signal: AbortLike,
    stream: boolean,
    callerHeaders: Readonly<Record<string, string | undefined>> = {},
  ): Promise<UpstreamResponse> {
    // Built only on failure: an Error captures a stack, which the hot path should not pay for.
    let last: AirlockError | undefined;
    for (const target of targets) {
      if (!this.destinationAllowed(target)) {
        last = gatewayErrors.unavailable(`upstream "${target.name}" is not an allowed destination`);
        continue;
      }
      let key: string | undefined;
      try {
        key = this.apiKey(target);
      } catch {
        // A configuration problem, not an upstream failure: skip it without touching its breaker.
        this.options.logger.error({ upstream: target.name, requestId }, 'upstream API key does not open');
        last = gatewayErrors.upstreamFailed(target.name);
        continue;
      }
      const breaker = this.breakerFor(target);
      const body = bodyFor(target);
      const op = typeof operation === 'function' ? operation(target) : operation;
      for (let n = 0; n <= this.options.retries; n++) {
        if (signal.aborted) throw signal.reason;
        try {
          return await breaker.fire(() =>
            this.attempt(target, op, body, key, requestId, signal, stream, callerHeaders),
          );
        } catch (e) {
          if (isAbort(e) && signal.aborted) throw e;
          const retryable = this.classify(e, target);
          last = retryable.error;
          this.options.logger.warn(
            { upstream: target.name, requestId, reason: retryable.reason, attempt: n + 1 },
            'upstream attempt failed',
          );
          if (!retryable.retry || n === this.options.retries) break;
          await sleepUnlessAborted(this.options.backoffMs * 2 ** n * (0.5 + Math.random() / 2), signal);
        }
      }
    }
    throw last ?? gatewayErrors.unavailable('no upstream available');
  }

  private classify(e: unknown, target: RouteTarget): { retry: boolean; error: AirlockError; reason: string } {
    if (isBreakerOpen(e))
      return {
        retry: false,
        error: gatewayErrors.unavailable(`upstream "${target.name}" is unavailable (circuit open)`),
        reason: 'breaker_open',
      };
    if (e instanceof UpstreamStatusError) {
      const error =
        e.statusCode === 429
          ? gatewayErrors.upstreamRateLimited(target.name, e.retryAfter)
          : e.statusCode === 503
            ? gatewayErrors.unavailable(`upstream "${target.name}" is unavailable`)
            : e.statusCode === 504
              ? gatewayErrors.timeout(target.name)
              : gatewayErrors.upstreamFailed(target.name, e.statusCode);
      return { retry: RETRY_STATUS.has(e.statusCode), error, reason: `status_${e.statusCode}` };
    }
    if (isTimeout(e)) return { retry: false, error: gatewayErrors.timeout(target.name), reason: 'timeout' };
    if (isRefused(e))
      return {
        retry: false,
        error: gatewayErrors.unavailable(`upstream "${target.name}" is not an allowed destination`),
        reason: 'refused',
      };
    const code = codeOf(e);
    if (code && CONNECT_ERRORS.has(code))
      return {
        retry: true,
        error: gatewayErrors.unavailable(`upstream "${target.name}" is unreachable`),
        reason: code,
      };
    if (isAirlockError(e)) return { retry: false, error: e, reason: e.code };
    return { retry: false, error: gatewayErrors.upstreamFailed(target.name), reason: code ?? 'error' };
  }

  async close(): Promise<void> {
    this.breakers.shutdown();
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
    this.endpoints.clear();
  }
}
