// Errors on the Anthropic surface (/v1/messages…) in Anthropic's envelope,
// {"type":"error","error":{"type":…,"message":…}}, with our stable code beside them so
// clients that know Airlock can branch on it. Mid-stream failures use the same shape as an
// SSE `error` event.
import { isAirlockError, type AirlockError } from '@airlock/common';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'request_too_large',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'overloaded_error',
};

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string; code: string; request_id: string };
}

export function anthropicErrorBody(err: AirlockError, requestId: string): AnthropicErrorBody {
  const exposed = err.expose;
  return {
    type: 'error',
    error: {
      type: TYPES[err.status] ?? 'api_error',
      message: exposed ? err.message : `internal error; quote request id ${requestId} to your administrator`,
      code: exposed ? err.code : 'internal_error',
      request_id: requestId,
    },
  };
}

/** Status, headers and body for any error raised on this surface (non-Airlock errors hide their detail). */
export function anthropicError(
  err: unknown,
  requestId: string,
): { status: number; headers: Record<string, string>; body: AnthropicErrorBody } {
  if (isAirlockError(err))
    return { status: err.status, headers: err.headers ?? {}, body: anthropicErrorBody(err, requestId) };
  return {
    status: 500,
    headers: {},
    body: {
      type: 'error',
      error: {
        type: 'api_error',
        message: `internal error; quote request id ${requestId} to your administrator`,
        code: 'internal_error',
        request_id: requestId,
      },
    },
  };
}

export const MID_STREAM_ERROR = JSON.stringify({
  type: 'error',
  error: {
    type: 'api_error',
    message: 'the upstream connection failed mid-stream; the answer is incomplete',
    code: 'upstream_error',
  },
});
