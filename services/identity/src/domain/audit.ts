// Builds audit events from a request: who, from where, which request. Metadata only.
import type { Request } from 'express';
import { BOOTSTRAP_ACTOR, isBootstrapPrincipal } from '@airlock/common';
import type { AuditAction, AuditEventInput, Principal } from '@airlock/common';

type Actor = AuditEventInput['actor'];

export function actorOf(p: Principal): Actor {
  if (isBootstrapPrincipal(p)) return BOOTSTRAP_ACTOR;
  if (p.kind === 'scim') return { type: 'scim', id: p.tokenId ?? null, email: null };
  if (p.kind === 'api_token') return { type: 'token', id: p.tokenId ?? null, email: p.email };
  return { type: 'user', id: p.userId, email: p.email };
}

export function requestMeta(req: Request) {
  return {
    clientIp: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
    requestId: req.id ?? null,
  };
}

/** Convenience for the common case: an authenticated principal acting in its own org. */
export function principalEvent<A extends AuditAction>(
  req: Request,
  p: Principal,
  action: A,
  details: AuditEventInput<A>['details'],
  target: AuditEventInput['target'] = null,
  outcome: AuditEventInput['outcome'] = 'success',
): AuditEventInput<A> {
  return { action, orgId: p.orgId, actor: actorOf(p), outcome, details, target, ...requestMeta(req) };
}
