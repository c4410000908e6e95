// The gateway's errors. Policy and input errors use common's stable codes (AirlockError);
// upstream failures need statuses common has no code for (502, 504), so they are
// GatewayError and rendered by the gateway's own error middleware in the same envelope.
import { AirlockError } from '@airlock/common';

export type GatewayErrorCode =
  | 'redaction_failed'
  | 'upstream_error'
  | 'upstream_rate_limited'
  | 'upstream_timeout'
  | 'upstream_unavailable';

const STATUS: Record<GatewayErrorCode, number> = {
  redaction_failed: 500,
  upstream_error: 502,
  upstream_rate_limited: 429,
  upstream_timeout: 504,
  upstream_unavailable: 503,
};

/** An upstream or redaction failure; its message is safe to show (no upstream detail). */
export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = STATUS[code];
    this.headers = options.headers;
  }
  readonly headers?: Record<string, string>;
}

export const gatewayErrors = {
  badRequest: (message: string) => new AirlockError('bad_request', message),
  modelForbidden: (model: string) => new AirlockError('forbidden', `your role may not use model "${model}"`),
  noRoute: (model: string) => new AirlockError('not_found', `no upstream serves model "${model}"`),
  offlineRefusesCloud: (model: string) =>
    new AirlockError(
      'forbidden',
      `model "${model}" is only served by cloud upstreams, which this organisation's offline mode refuses`,
    ),
  upstreamHostRefused: (name: string) =>
    new AirlockError('forbidden', `upstream "${name}" is not an allowed destination for this gateway`),
  noOrg: () => new AirlockError('forbidden', 'this credential is not bound to an organisation'),
  limiterUnavailable: () =>
    new AirlockError(
      'service_unavailable',
      'Redis is unavailable, so rate limits and quotas cannot be enforced; requests are refused until it is back',
      {
        headers: { 'Retry-After': '1' },
      },
    ),
  rateLimited: (message: string, headers: Record<string, string>) =>
    new AirlockError('rate_limited', message, { headers }),
  redactionFailed: (cause: unknown) =>
    new GatewayError('redaction_failed', 'redaction failed, so the request was not sent', { cause }),
  timeout: (name: string) =>
    new GatewayError('upstream_timeout', `upstream "${name}" did not answer in time`),
  unavailable: (message: string) => new GatewayError('upstream_unavailable', message),
  upstreamFailed: (name: string, status?: number) =>
    new GatewayError('upstream_error', `upstream "${name}" failed${status ? ` with status ${status}` : ''}`),
  upstreamRateLimited: (name: string, retryAfter?: string) =>
    new GatewayError('upstream_rate_limited', `upstream "${name}" is rate limiting`, {
      headers: retryAfter ? { 'Retry-After': retryAfter } : undefined,
    }),
};
