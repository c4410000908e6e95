// Users are global (one row per email), tenants are not: the one test of whether a user
// belongs to a tenant other than `orgId`. Identity (SSO linking, SCIM adoption) and rbac
// (adding members) refuse to reach such a user, so no org can take over another's account.
import type { Db } from './client.js';

/** True when another org has this user as a member, an SSO identity or a SCIM record. */
export async function heldByAnotherOrg(db: Db, userId: string, orgId: string): Promise<boolean> {
  const where = { userId, NOT: { orgId } };
  const [members, identities, scim] = await Promise.all([
    db.system.membership.count({ where }),
    db.system.ssoIdentity.count({ where }),
    db.system.scimUser.count({ where }),
  ]);
  return members + identities + scim > 0;
}

/**
 * Where-clause for the one account that holds `email` (lower-cased) globally. Accounts an
 * org's IdP created outside the org's claimed domains do not hold their email (holds_email
 * false, issue 12 squatting): only their (connection, subject) identity reaches them, so
 * looking a person up by email never finds them.
 */
export function holdingEmail(email: string) {
  return { email, holdsEmail: true } as const;
}
