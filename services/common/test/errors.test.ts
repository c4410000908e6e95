import { describe, expect, it } from '@jest/globals';
import { AirlockError, ERROR_CODES } from '../src/errors.js';

describe('error codes', () => {
  // Codes are API: clients branch on them. Adding one means adding it here; renaming or
  // removing one breaks clients and must not happen.
  it('are exactly the published list, with their statuses', () => {
    expect(ERROR_CODES).toEqual({
      bad_request: 400,
      conflict: 409,
      forbidden: 403,
      internal_error: 500,
      invalid_json: 400,
      no_owner_path: 409,
      not_found: 404,
      not_implemented: 501,
      payload_too_large: 413,
      rate_limited: 429,
      redaction_failed: 500,
      service_unavailable: 503,
      unauthenticated: 401,
      unsupported_media_type: 415,
      upgrade_required: 426,
      upstream_error: 502,
      upstream_rate_limited: 429,
      upstream_timeout: 504,
      upstream_unavailable: 503,
      validation_failed: 400,
    });
  });

  it('are sorted, so additions land in one obvious place', () => {
    const keys = Object.keys(ERROR_CODES);
    expect(keys).toEqual([...keys].sort());
  });

  it('expose client errors and hide internal ones', () => {
    expect(new AirlockError('forbidden', 'no').expose).toBe(true);
    expect(new AirlockError('internal_error', 'db password wrong').expose).toBe(false);
    expect(new AirlockError('service_unavailable', 'redis down').expose).toBe(true);
  });

  it('expose the gateway upstream and redaction codes, whose messages are written for clients', () => {
    for (const code of [
      'upstream_error',
      'upstream_timeout',
      'upstream_unavailable',
      'redaction_failed',
    ] as const) {
      expect(new AirlockError(code, 'x').expose).toBe(true);
    }
    expect(new AirlockError('upstream_rate_limited', 'x').status).toBe(429);
  });
});
