// The gateway's errors, all AirlockErrors with common's stable codes. Upstream and redaction
// failures have their own codes (upstream_error 502, upstream_rate_limited 429,
// upstream_timeout 504, upstream_unavailable 503, redaction_failed 500) whose messages are
// exposed to the client: they name the upstream at most, never its answer or the prompt.
import { AirlockError } from '@airlock/common';

/** The codes of upstream and redaction failures (logged with their cause by the gateway). */
export const UPSTREAM_FAILURE_CODES: ReadonlySet<string> = new Set([
  'redaction_failed',
  'upstream_error',
  'upstream_rate_limited',
  'upstream_timeout',
  'upstream_unavailable',
]);

export const gatewayErrors = {
  badRequest: (message: string) => new AirlockError('bad_request', message),
  modelForbidden: (model: string) =>
    new AirlockError('model_forbidden', `your role may not use model "${model}"`),
  noRoute: (model: string) => new AirlockError('not_found', `no upstream serves model "${model}"`),
  offlineRefusesCloud: (model: string) =>
    new AirlockError(
      'offline_refuses_cloud',
      `model "${model}" is only served by cloud upstreams, which this organisation's offline mode refuses`,
    ),
  upstreamHostRefused: (name: string) =>
    new AirlockError(
      'destination_refused',
      `upstream "${name}" is not an allowed destination for this gateway`,
    ),
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
  // Fixed message: a detector's error may quote the text it was scanning, so it stays in cause.
  redactionFailed: (cause: unknown) =>
    new AirlockError('redaction_failed', 'redaction failed, so the request was not sent', { cause }),
  timeout: (name: string) =>
    new AirlockError('upstream_timeout', `upstream "${name}" did not answer in time`),
  unavailable: (message: string) => new AirlockError('upstream_unavailable', message),
  upstreamFailed: (name: string, status?: number) =>
    new AirlockError('upstream_error', `upstream "${name}" failed${status ? ` with status ${status}` : ''}`),
  upstreamRateLimited: (name: string, retryAfter?: string) =>
    new AirlockError('upstream_rate_limited', `upstream "${name}" is rate limiting`, {
      headers: retryAfter ? { 'Retry-After': retryAfter } : undefined,
    }),
};
