// What rbac's handlers read from an authorized request: the org principal and the audit
// fields every event of the request shares. Who gets in is each route's authorize().
import {
  auditActorOf,
  noOrgError,
  principalOf,
  requestMeta,
  type Principal,
  type Role,
} from '@airlock/common';
import type { Request } from 'express';

export interface OrgPrincipal extends Principal {
  orgId: string;
  role: Role;
}

/**
 * The principal of an org route, with its org and role. authorize() (scope 'org') has
 * already refused an org-less credential with the same error; this narrows the type.
 */
export function orgPrincipalOf(req: Request): OrgPrincipal {
  const p = principalOf(req);
  if (!p.orgId || !p.role) throw noOrgError();
  return p as OrgPrincipal;
}

/** The audit fields every event of this request shares. */
export function auditBase(req: Request, orgId: string | null) {
  return { orgId, actor: auditActorOf(principalOf(req)), ...requestMeta(req) };
}
