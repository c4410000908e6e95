import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { parseAuditEvent } from '../../src/audit/event.js';
import {
  GATEWAY_EVENT_CODES,
  LOGIN_FAILURE_REASONS,
  isGatewayErrorCode,
  loginFailureReasonOf,
  upstreamStatusCode,
} from '../../src/audit/vocabularies.js';

// Like ERROR_CODES, these are API: alerting rules and trail filters match them. Adding one
// means adding it here; renaming or removing one must not happen.
describe('audit vocabularies', () => {
  it('pins the sign-in failure reasons, sorted', () => {
    expect([...LOGIN_FAILURE_REASONS]).toEqual([
      'account_disabled',
      'account_held_elsewhere',
      'account_locked',
      'assertion_replayed',
      'email_domain_not_allowed',
      'enrollment_expired',
      'idp_denied',
      'idp_response_invalid',
      'internal_error',
      'invalid_credentials',
      'invalid_totp',
      'ip_throttled',
      'last_owner',
      'mfa_required',
      'missing_email',
      'no_connection',
      'no_mapped_group',
      'no_owner_path',
      'org_suspended',
      'provisioning_refused',
      'reserved_account',
      'state_mismatch',
      'throttle_unavailable',
      'totp_reused',
      'unknown_connection',
      'unknown_org',
      'unverified_email_link',
    ]);
    expect([...LOGIN_FAILURE_REASONS]).toEqual([...LOGIN_FAILURE_REASONS].sort());
  });

  it('pins the gateway event codes beside ERROR_CODES and the upstream status family', () => {
    expect([...GATEWAY_EVENT_CODES]).toEqual(['client_closed', 'upstream_stream_failed']);
    for (const ok of ['model_forbidden', 'upstream_timeout', 'client_closed', upstreamStatusCode(404)]) {
      expect(isGatewayErrorCode(ok)).toBe(true);
    }
    for (const bad of ['oops', 'upstream_99', 'upstream_600', 'upstream_404x', 'Forbidden', 7]) {
      expect(isGatewayErrorCode(bad)).toBe(false);
    }
  });

  it('names a rule refusal by its code where that is a reason, else provisioning_refused', () => {
    expect(loginFailureReasonOf('last_owner')).toBe('last_owner');
    expect(loginFailureReasonOf('conflict')).toBe('provisioning_refused');
  });

  const loginFailed = (reason: string) => ({
    id: randomUUID(),
    time: new Date().toISOString(),
    orgId: randomUUID(),
    actor: { type: 'anonymous', id: null, email: null },
    action: 'auth.login_failed',
    target: null,
    outcome: 'failure',
    clientIp: null,
    userAgent: null,
    requestId: null,
    details: { method: 'oidc', reason },
  });

  it('lets the audit schema take only listed reasons, so no other value reaches the trail', () => {
    expect(parseAuditEvent(loginFailed('state_mismatch')).details).toMatchObject({
      reason: 'state_mismatch',
    });
    expect(() => parseAuditEvent(loginFailed('made_up'))).toThrow(/reason/);
  });
});
