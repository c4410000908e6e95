// auth.login_failed rows come from anonymous callers (any address can post to an org's ACS or
// callback), and each lands in that org's hash-chained audit log. So they are bounded: per
// org and address, and per org in all, within a one-minute window. The sign-in fails either
// way; only the row beyond the bound is dropped (one warning per request says so).
import type { AuditEventInput } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { hit } from '../store/throttle.js';

const WINDOW_SECONDS = 60;

export async function auditLoginFailure(
  ctx: IdentityContext,
  event: AuditEventInput<'auth.login_failed'>,
): Promise<void> {
  const scope = event.orgId ?? 'platform';
  // The event carries the request meta (clientIp, requestId): no HTTP types needed here.
  const ip = event.clientIp ?? 'unknown';
  const perAddress = await hit(
    ctx.redis,
    'login-failed-audit',
    `${scope}|${ip}`,
    ctx.settings.AIRLOCK_LOGIN_FAILED_AUDIT_PER_ADDRESS,
    WINDOW_SECONDS,
  );
  const perOrg =
    perAddress.ok === false
      ? perAddress
      : await hit(
          ctx.redis,
          'login-failed-audit-org',
          scope,
          ctx.settings.AIRLOCK_LOGIN_FAILED_AUDIT_PER_ORG,
          WINDOW_SECONDS,
        );
  // Counter unavailable: keep the row (the audit trail matters more than the bound then).
  if (perAddress.ok === false || perOrg.ok === false) {
    ctx.logger.warn(
      { requestId: event.requestId ?? undefined, orgId: event.orgId },
      'auth.login_failed audit row dropped (over bound)',
    );
    return;
  }
  ctx.audit.publish(event);
}
