// Builds audit events from a request: who, from where, which request. Metadata only.
import type { Request } from 'express';
import { auditActorOf, requestMeta } from '@airlock/common';
import type { AuditAction, AuditEventInput, Principal } from '@airlock/common';

// The actor and request meta are common's, the same in every service.
export { auditActorOf as actorOf, requestMeta };

/** Convenience for the common case: an authenticated principal acting in its own org. */
export function principalEvent<A extends AuditAction>(
  req: Request,
  p: Principal,
  action: A,
  details: AuditEventInput<A>['details'],
  target: AuditEventInput['target'] = null,
  outcome: AuditEventInput['outcome'] = 'success',
): AuditEventInput<A> {
  return { action, orgId: p.orgId, actor: auditActorOf(p), outcome, details, target, ...requestMeta(req) };
}
