// Orgs as the platform admin sees them: system scope, because these routes cross orgs.
import type { Db, OrgStatus } from '@airlock/common';
import { rbacErrors } from '../errors.js';
import { isUniqueViolation } from './prisma-errors.js';

export interface OrgRecord {
  id: string;
  slug: string;
  name: string;
  status: OrgStatus;
  allowedEmailDomains: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewOrg {
  slug: string;
  name: string;
  allowedEmailDomains: string[];
  /** Made the first owner in the same transaction. */
  ownerUserId?: string;
}

export function orgStore(db: Db) {
  return {
    async create(input: NewOrg): Promise<OrgRecord> {
      try {
        return await db.asSystem(async (tx) => {
          const org = await tx.org.create({
            data: { slug: input.slug, name: input.name, allowedEmailDomains: input.allowedEmailDomains },
          });
          if (input.ownerUserId) {
            await tx.membership.create({ data: { orgId: org.id, userId: input.ownerUserId, role: 'owner' } });
          }
          return org;
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw rbacErrors.slugTaken();
        throw e;
      }
    },

    list(): Promise<OrgRecord[]> {
      return db.system.org.findMany({ orderBy: { createdAt: 'asc' } });
    },

    get(id: string): Promise<OrgRecord | null> {
      return db.system.org.findUnique({ where: { id } });
    },

    /** The org's own row, read inside its scope (RLS lets an org see only itself). */
    own(orgId: string): Promise<OrgRecord | null> {
      return db.forOrg(orgId).org.findUnique({ where: { id: orgId } });
    },

    /** Updates the org's own row inside its scope; returns null when it is gone. */
    async updateOwn(
      orgId: string,
      data: { name?: string; allowedEmailDomains?: string[] },
    ): Promise<OrgRecord | null> {
      const res = await db.forOrg(orgId).org.updateMany({ where: { id: orgId }, data });
      return res.count === 1 ? db.forOrg(orgId).org.findUnique({ where: { id: orgId } }) : null;
    },

    /** Returns the status before the change, or null when there is no such org. */
    async setStatus(id: string, status: OrgStatus): Promise<OrgStatus | null> {
      return db.asSystem(async (tx) => {
        const rows = await tx.$queryRaw<{ status: OrgStatus }[]>`
          SELECT status FROM orgs WHERE id = ${id}::uuid FOR UPDATE`;
        const before = rows[0]?.status;
        if (!before) return null;
        if (before !== status) await tx.org.update({ where: { id }, data: { status } });
        return before;
      });
    },
  };
}

export type OrgStore = ReturnType<typeof orgStore>;
