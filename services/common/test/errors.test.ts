import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AirlockError, ERROR_CODES } from '../src/errors.js';

const ERRORS_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md');

describe('error codes', () => {
  // Codes are API: clients branch on them. Adding one means adding it here; renaming or
  // removing one breaks clients and must not happen.
  it('are exactly the published list, with their statuses', () => {
    expect(ERROR_CODES).toEqual({
      account_disabled: 403,
      already_member: 409,
      bad_request: 400,
      conflict: 409,
      cross_site_refused: 403,
      destination_refused: 403,
      email_domain_not_allowed: 403,
      forbidden: 403,
      grant_exists: 409,
      internal_error: 500,
      invalid_json: 400,
      invalid_precondition: 400,
      ip_not_allowed: 403,
      last_owner: 409,
      model_forbidden: 403,
      name_taken: 409,
      no_org: 403,
      no_owner_path: 409,
      not_found: 404,
      not_implemented: 501,
      offline_refuses_cloud: 403,
      org_suspended: 409,
      payload_too_large: 413,
      platform_admin_required: 403,
      policy_invalid: 409,
      policy_version_conflict: 409,
      precondition_required: 400,
      rate_limited: 429,
      redaction_failed: 500,
      self_change: 403,
      service_unavailable: 503,
      slug_taken: 409,
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

  it('are each in the table of docs/errors.md, with their status', () => {
    const doc = readFileSync(ERRORS_DOC, 'utf8');
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      expect(doc).toContain(`| \`${code}\` | ${status} |`);
    }
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
