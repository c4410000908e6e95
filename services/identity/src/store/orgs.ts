// Orgs belong to rbac; identity only reads them: the org a sign-in, a platform route or a
// device request names (across orgs), and the caller's own.
import type { Db } from '@airlock/common';

export interface SignInOrg {
  id: string;
  slug: string;
  name: string;
  status: string;
  allowedEmailDomains: string[];
}

const select = { id: true, slug: true, name: true, status: true, allowedEmailDomains: true } as const;

/** The org by slug or id, or null. */
export function findOrg(db: Db, where: { slug: string } | { id: string }): Promise<SignInOrg | null> {
  return db.system.org.findUnique({ where, select });
}

/** The caller's own org, read inside its RLS scope (so it can only ever be that org). */
export function findOwnOrg(db: Db, orgId: string): Promise<SignInOrg | null> {
  return db.forOrg(orgId).org.findUnique({ where: { id: orgId }, select });
}
