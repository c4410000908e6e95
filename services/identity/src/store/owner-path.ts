// What the owner-path rule (domain/owner-path.ts) reads, inside the saving transaction.
import { countActiveOwners, hasOpenGrant, type Tx } from '@airlock/common';
import type { OwnerPathReader } from '../domain/owner-path.js';

export function ownerPathReader(tx: Tx, orgId: string, now: Date): OwnerPathReader {
  return {
    // A transaction-scoped lock per org, so two saves that each remove one of two paths
    // cannot both pass (under READ COMMITTED the second sees the first's commit).
    async lock() {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`airlock.owner-path:${orgId}`}, 0))`;
    },
    activeOwners: () => countActiveOwners(tx, orgId),
    openOwnerGrant: () => hasOpenGrant(tx, orgId, 'owner', now),
    enabledConnections: () =>
      tx.ssoConnection.findMany({
        where: { orgId, enabled: true },
        select: { enabled: true, config: true, groupRoleMap: true, defaultRole: true },
      }),
  };
}
