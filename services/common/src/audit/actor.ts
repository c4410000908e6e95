// Who an audit event names as its actor, for every service alike, so filtering the trail by
// actor means one thing. An API token acts as its owner: the actor is the owner (id = user
// id, as for their sessions, so one filter finds everything a person did, and usage stats
// narrow by it), with type "token" saying how; the token's own id is not the actor.
import type { Request } from 'express';
import { BOOTSTRAP_ACTOR, isBootstrapPrincipal } from '../auth/bootstrap.js';
import type { Principal } from '../auth/principal.js';
import type { AuditEventInput } from './event.js';

export type AuditActor = AuditEventInput['actor'];

export function auditActorOf(p: Principal): AuditActor {
  if (isBootstrapPrincipal(p)) return BOOTSTRAP_ACTOR;
  if (p.kind === 'scim') return { type: 'scim', id: p.tokenId ?? null, email: null };
  return { type: p.kind === 'api_token' ? 'token' : 'user', id: p.userId, email: p.email };
}

export interface RequestMeta {
  clientIp: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** The request fields every audit event of a request carries. */
export function requestMeta(req: Request): RequestMeta {
  return {
    clientIp: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
    requestId: req.id ?? null,
  };
}
