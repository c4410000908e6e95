// Memberships belong to rbac. Identity changes them only here, for SSO/SCIM provisioning and
// role mapping, through common's provisionMembership (shared with rbac): the same owner lock and last-owner rule
// as the member API, so neither an IdP nor a SCIM client can remove an org's last owner.
import { provisionMembership, type Role, type Tx } from '@airlock/common';

/**
 * Creates or updates the user's membership in the org, inside the caller's org-scoped
 * transaction (db.inOrg). Returns the role before, or null when the user was not a member.
 */
export function upsertMembership(tx: Tx, orgId: string, userId: string, role: Role): Promise<Role | null> {
  return provisionMembership(tx, orgId, userId, role);
}

/** Removes the user from the org (SSO "no mapped group", SCIM deactivation); returns the old role. */
export function removeMembership(tx: Tx, orgId: string, userId: string): Promise<Role | null> {
  return provisionMembership(tx, orgId, userId, null);
}
