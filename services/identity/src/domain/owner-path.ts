// No org without a way to an owner. Owners alone manage SSO and SCIM, so an org whose owners
// are gone and whose IdP maps nobody to owner could never fix its own sign-in again. Every
// save of an SSO connection (create, update, disable, delete) runs this check inside its own
// transaction, after the write: the org must still have an active owner, an open pending
// owner grant (rbac's hasOpenGrant, the one reader of pending grants), or an enabled
// connection that can sign someone in as owner. Otherwise the save is refused and rolled back.
import { AirlockError, type Role, type Tx } from '@airlock/common';
import { countActiveOwners, hasOpenGrant } from '@airlock/rbac';

interface ConnectionRoles {
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

/**
 * Throws no_owner_path unless the org has a way to an owner as `tx` sees it. Takes a
 * transaction-scoped lock per org first, so two saves that each remove one of two paths
 * cannot both pass (under READ COMMITTED the second sees the first's commit).
 */
export async function requireOwnerPath(tx: Tx, orgId: string, now: Date): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`airlock.owner-path:${orgId}`}, 0))`;
  if ((await countActiveOwners(tx, orgId)) > 0) return;
  if (await hasOpenGrant(tx, orgId, 'owner', now)) return;
  const connections = await tx.ssoConnection.findMany({
    where: { orgId, enabled: true },
    select: { enabled: true, config: true, groupRoleMap: true, defaultRole: true },
  });
  if (connections.some(mapsToOwner)) return;
  throw noOwnerPath();
}
