// "Test sign-in" for an SSO connection: an owner or admin runs the real IdP round trip, and
// instead of a session and a membership gets a report: the claims the IdP sent (names and
// values, never tokens or secrets), the groups, and the role the mapping gives. Nothing is
// provisioned, so testing a connection before enabling it changes nobody's access.
import type { Role } from '@airlock/common';
import type { ConnectionRow } from '../store/sso-connections.js';
import { loginFailures, type LoginFailure } from './login-failure.js';
import type { VerifiedIdentity } from './provisioning.js';
import { emailDomainAllowed, mapRole } from './role-mapping.js';

export type ClaimValue = string | number | boolean | string[];

export interface TestSignInResult {
  connectionId: string;
  protocol: 'oidc' | 'saml';
  testedAt: string;
  /** success: this person would be signed in; failure: they would be refused (reason says why). */
  outcome: 'success' | 'failure';
  subject: string | null;
  email: string | null;
  name: string | null;
  claims: Record<string, ClaimValue>;
  groups: string[];
  /** The role the group mapping gives; null when no group maps and one is required. */
  role: Role | null;
  reason: string | null;
  message: string | null;
}

// Protocol plumbing, not facts about the person: nonces and token hashes would only help replay.
const HIDDEN_CLAIM = /token|secret|password|hash|nonce|assertion|^attributes$/i;
const MAX_CLAIMS = 100;
const MAX_VALUE = 512;

/** The claims as the report shows them: scalar values and string lists, bounded, secrets dropped. */
export function visibleClaims(raw: Record<string, unknown> | undefined): Record<string, ClaimValue> {
  const out: Record<string, ClaimValue> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (Object.keys(out).length >= MAX_CLAIMS) break;
    if (HIDDEN_CLAIM.test(name) || name.length > 128) continue;
    if (typeof value === 'string') out[name] = value.slice(0, MAX_VALUE);
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = value;
    else if (Array.isArray(value))
      out[name] = value
        .filter((v): v is string => typeof v === 'string')
        .slice(0, MAX_CLAIMS)
        .map((v) => v.slice(0, MAX_VALUE));
    else if (value && typeof value === 'object') out[name] = JSON.stringify(value).slice(0, MAX_VALUE);
  }
  return out;
}

/** The report for a verified IdP answer: what sign-in would decide, without doing it. */
export function testSucceeded(
  connection: ConnectionRow,
  org: { allowedEmailDomains: string[] },
  who: VerifiedIdentity,
  requireMappedGroup: boolean,
  now: Date,
): TestSignInResult {
  const role = mapRole(
    who.groups,
    connection.groupRoleMap as Record<string, Role>,
    connection.defaultRole,
    requireMappedGroup,
  );
  const email = who.email?.trim().toLowerCase() ?? null;
  const refusal = !email
    ? loginFailures.missingEmail()
    : !emailDomainAllowed(email, org.allowedEmailDomains)
      ? loginFailures.emailDomain()
      : role === null
        ? loginFailures.noMappedGroup()
        : null;
  return {
    connectionId: connection.id,
    protocol: connection.protocol,
    testedAt: now.toISOString(),
    outcome: refusal ? 'failure' : 'success',
    subject: who.subject,
    email,
    name: who.name,
    claims: visibleClaims(who.claims),
    groups: who.groups,
    role,
    reason: refusal?.reason ?? null,
    message: refusal?.userMessage ?? null,
  };
}

/** The report for a round trip that failed (the IdP refused, the answer did not verify…). */
export function testFailed(
  connection: { id: string; protocol: 'oidc' | 'saml' },
  failure: LoginFailure,
  now: Date,
): TestSignInResult {
  return {
    connectionId: connection.id,
    protocol: connection.protocol,
    testedAt: now.toISOString(),
    outcome: 'failure',
    subject: null,
    email: null,
    name: null,
    claims: {},
    groups: [],
    role: null,
    reason: failure.reason,
    message: failure.userMessage,
  };
}
