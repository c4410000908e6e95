// Closed vocabularies of two audit fields clients filter and alert on, pinned like
// ERROR_CODES (test/audit/vocabularies.test.ts): values are added, never renamed. The audit
// schema (actions.ts) refuses anything else, so an unlisted value cannot reach the trail.
import { ERROR_CODES, type ErrorCode } from '../errors.js';

/** auth.login_failed `reason`: why a sign-in did not complete. Sorted. */
export const LOGIN_FAILURE_REASONS = [
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
] as const;

export type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];

const REASONS: ReadonlySet<string> = new Set(LOGIN_FAILURE_REASONS);

/**
 * The reason for a sign-in a platform rule refused with an AirlockError (demoting the last
 * owner while provisioning…): the error's code where it is a listed reason, else
 * provisioning_refused.
 */
export function loginFailureReasonOf(code: ErrorCode): LoginFailureReason {
  return REASONS.has(code) ? (code as LoginFailureReason) : 'provisioning_refused';
}

/**
 * ai.request `errorCode`, beside the ERROR_CODES the gateway answers with: what happened to
 * a request that got no answer of ours. Sorted.
 */
export const GATEWAY_EVENT_CODES = ['client_closed', 'upstream_stream_failed'] as const;

/** An upstream's own non-2xx answer relayed to the client: `upstream_` and its status. */
export const UPSTREAM_STATUS_CODE = /^upstream_[1-5][0-9]{2}$/;

export type GatewayErrorCode = ErrorCode | (typeof GATEWAY_EVENT_CODES)[number] | `upstream_${number}`;

export function upstreamStatusCode(status: number): GatewayErrorCode {
  return `upstream_${status}`;
}

const GATEWAY_CODES: ReadonlySet<string> = new Set([...Object.keys(ERROR_CODES), ...GATEWAY_EVENT_CODES]);

/** True for a value ai.request `errorCode` may hold. */
export function isGatewayErrorCode(value: unknown): value is GatewayErrorCode {
  return typeof value === 'string' && (GATEWAY_CODES.has(value) || UPSTREAM_STATUS_CODE.test(value));
}
