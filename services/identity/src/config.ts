// The identity service's own settings (checked only when the identity module runs).
import { bootstrapTokenSetting, envBoolean, envInt } from '@airlock/common';
import { z } from 'zod';

export const identityConfigSchema = z.object({
  /** The same setting rbac reads (common/auth/bootstrap.ts): one token for every platform route. */
  AIRLOCK_BOOTSTRAP_TOKEN: bootstrapTokenSetting,
  AIRLOCK_SESSION_IDLE_MINUTES: envInt(1, 24 * 60)
    .default(60)
    .describe('a browser session ends after this long without a request'),
  AIRLOCK_SESSION_ABSOLUTE_HOURS: envInt(1, 24 * 30)
    .default(12)
    .describe('a browser session ends this long after sign-in, however active'),
  AIRLOCK_TOKEN_MAX_DAYS: envInt(1, 3650)
    .default(365)
    .describe('longest lifetime an API token may be created with (days)'),
  AIRLOCK_TOKEN_MAX_GRACE_SECONDS: envInt(0, 7 * 24 * 3600)
    .default(86_400)
    .describe('longest window the old secret keeps working after an API token is rotated'),
  AIRLOCK_SSO_LOGIN_TTL_SECONDS: envInt(30, 1800)
    .default(600)
    .describe('how long an SSO login may take between the redirect to the IdP and the callback'),
  AIRLOCK_SSO_CLOCK_SKEW_SECONDS: envInt(0, 300)
    .default(60)
    .describe('clock difference tolerated when checking ID token and assertion validity times'),
  AIRLOCK_LOCAL_LOGIN_MAX_FAILURES: envInt(1, 100)
    .default(5)
    .describe('break-glass login: failed password/TOTP attempts before the account locks'),
  AIRLOCK_LOCAL_LOGIN_LOCK_MINUTES: envInt(1, 24 * 60)
    .default(15)
    .describe('break-glass login: how long a locked account stays locked'),
  AIRLOCK_LOCAL_LOGIN_IP_LIMIT: envInt(1, 10_000)
    .default(20)
    .describe('break-glass login: attempts allowed per client IP per 15 minutes'),
  AIRLOCK_LOGIN_FAILED_AUDIT_PER_ADDRESS: envInt(1, 100_000)
    .default(10)
    .describe('auth.login_failed audit rows kept per org and client IP per minute (the rest dropped)'),
  AIRLOCK_LOGIN_FAILED_AUDIT_PER_ORG: envInt(1, 1_000_000)
    .default(300)
    .describe('auth.login_failed audit rows kept per org per minute, from all addresses'),
  AIRLOCK_SSO_LOGIN_IP_LIMIT: envInt(1, 100_000)
    .default(60)
    .describe('SSO sign-ins a client IP may start per minute (each holds state in Redis)'),
  AIRLOCK_DEVICE_CODE_TTL_SECONDS: envInt(60, 1800)
    .default(600)
    .describe('CLI sign-in: how long a device code waits for approval in the browser'),
  AIRLOCK_DEVICE_POLL_INTERVAL_SECONDS: envInt(1, 60)
    .default(5)
    .describe('CLI sign-in: the polling interval the CLI is told; faster polls get slow_down'),
  AIRLOCK_DEVICE_TOKEN_HOURS: envInt(1, 24 * 30)
    .default(12)
    .describe(
      'CLI sign-in: lifetime of the API token it issues (never past the approving session, which also ends it)',
    ),
  AIRLOCK_DEVICE_USER_CODE_LIMIT: envInt(1, 10_000)
    .default(20)
    .describe('CLI sign-in: wrong user codes allowed per client IP and per member per 10 minutes'),
  AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: envBoolean()
    .default(false)
    .describe(
      'accept http:// and loopback OIDC issuers and SAML metadata URLs (development and tests only; ignored in production)',
    ),
});

export type IdentityConfig = z.output<typeof identityConfigSchema>;

/** Defaults, for tests and callers that build the module by hand. */
export function identityConfig(overrides: Partial<IdentityConfig> = {}): IdentityConfig {
  return { ...identityConfigSchema.parse({}), ...overrides };
}
