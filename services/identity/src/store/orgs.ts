// The org a sign-in names (read across orgs: the caller is not signed in yet). Orgs belong
// to rbac; identity only reads the fields sign-in needs.
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
