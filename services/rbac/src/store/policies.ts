// Versioned policy documents, inside the org's scope. Rows are only ever inserted: the
// highest version is current and a rollback appends a copy. Two writers racing for the same
// next version collide on the (org_id, version) primary key; the loser gets a conflict.
import type { Db, Policy, Prisma } from '@airlock/common';
import { rbacErrors } from '../errors.js';
import { isUniqueViolation } from './prisma-errors.js';

export interface PolicyVersionMeta {
  version: number;
  createdAt: Date;
  createdBy: string | null;
  comment: string | null;
}

export interface StoredPolicy extends PolicyVersionMeta {
  /** As stored: validated on write, but parse it before use (defaults may have grown since). */
  document: unknown;
}

const meta = { version: true, createdAt: true, createdBy: true, comment: true } as const;

export function policyStore(db: Db) {
  return {
    current(orgId: string): Promise<StoredPolicy | null> {
      return db.forOrg(orgId).orgPolicy.findFirst({ where: { orgId }, orderBy: { version: 'desc' } });
    },

    get(orgId: string, version: number): Promise<StoredPolicy | null> {
      return db.forOrg(orgId).orgPolicy.findUnique({ where: { orgId_version: { orgId, version } } });
    },

    /** Newest first; `before` pages back through older versions. */
    list(orgId: string, { limit, before }: { limit: number; before?: number }): Promise<PolicyVersionMeta[]> {
      return db.forOrg(orgId).orgPolicy.findMany({
        where: { orgId, ...(before !== undefined ? { version: { lt: before } } : {}) },
        orderBy: { version: 'desc' },
        take: limit,
        select: meta,
      });
    },

    /**
     * Appends version expected+1. Throws a conflict when the current version is not
     * `expected` (0: no policy yet), including when another writer got there first.
     */
    async append(
      orgId: string,
      expected: number,
      document: Policy,
      { createdBy, comment }: { createdBy: string | null; comment: string | null },
    ): Promise<PolicyVersionMeta> {
      try {
        return await db.inOrg(orgId, async (tx) => {
          const latest = await tx.orgPolicy.findFirst({
            where: { orgId },
            orderBy: { version: 'desc' },
            select: { version: true },
          });
          const current = latest?.version ?? 0;
          if (current !== expected) throw rbacErrors.versionConflict(current);
          return tx.orgPolicy.create({
            data: {
              orgId,
              version: current + 1,
              document: document as unknown as Prisma.InputJsonValue,
              createdBy,
              comment,
            },
            select: meta,
          });
        });
      } catch (e) {
        if (isUniqueViolation(e)) {
          const latest = await this.current(orgId);
          throw rbacErrors.versionConflict(latest?.version ?? 0);
        }
        throw e;
      }
    },
  };
}

export type PolicyStore = ReturnType<typeof policyStore>;
