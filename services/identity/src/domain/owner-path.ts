// No org without a way to an owner. Owners alone manage SSO and SCIM, so an org whose owners
// are gone and whose IdP maps nobody to owner could never fix its own sign-in again. Every
// save of an SSO connection (create, update, disable, delete) runs this check inside its own
// transaction, after the write: the org must still have an active owner, an open pending
// owner grant (common's hasOpenGrant, the one reader of pending grants), or an enabled
// connection that can sign someone in as owner. Otherwise the save is refused and rolled back.
import { AirlockError, type Role } from '@airlock/common';

export interface ConnectionRoles {
  enabled: boolean;
  config: unknown;
  groupRoleMap: unknown;
  defaultRole: Role;
}

/** Whether a sign-in through this connection can end as owner (see domain/role-mapping.ts). */
export function mapsToOwner(c: ConnectionRoles): boolean {
  if (!c.enabled) return false;
  const map = (c.groupRoleMap ?? {}) as Record<string, Role>;
  if (Object.values(map).includes('owner')) return true;
  const requireMapped = (c.config as { requireMappedGroup?: boolean } | null)?.requireMappedGroup === true;
  return c.defaultRole === 'owner' && !requireMapped;
}

export const noOwnerPath = () =>
  new AirlockError(
    'no_owner_path',
    'this would leave the organisation with no owner, no pending owner and no IdP group mapped to owner; ' +
      'name a pending owner (POST /api/v1/orgs/:id/pending-owners) or map a group to owner first',
  );

/** What the rule reads, inside the saving transaction (store/owner-path.ts). */
export interface OwnerPathReader {
  /** Serialises owner-path checks of the org until the transaction ends. */
  lock(): Promise<void>;
  activeOwners(): Promise<number>;
  openOwnerGrant(): Promise<boolean>;
  enabledConnections(): Promise<ConnectionRoles[]>;
}

/**
 * Throws no_owner_path unless the org has a way to an owner as the transaction sees it. Takes
 * the org's lock first, so two saves that each remove one of two paths cannot both pass.
 */
export async function requireOwnerPath(org: OwnerPathReader): Promise<void> {
  await org.lock();
  if ((await org.activeOwners()) > 0) return;
  if (await org.openOwnerGrant()) return;
  if ((await org.enabledConnections()).some(mapsToOwner)) return;
  throw noOwnerPath();
}
