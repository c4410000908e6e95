// Users are identity's table and global (no org): rbac only looks them up to add a member.
import { heldByAnotherOrg, type Db } from '@airlock/common';

export interface UserRef {
  id: string;
  email: string;
  status: 'active' | 'deactivated';
}

export function userStore(db: Db) {
  const select = { id: true, email: true, status: true } as const;
  return {
    byId: (id: string): Promise<UserRef | null> => db.system.user.findUnique({ where: { id }, select }),
    /** Emails are stored lower-cased. */
    byEmail: (email: string): Promise<UserRef | null> =>
      db.system.user.findUnique({ where: { email: email.trim().toLowerCase() }, select }),
    /**
     * The user an org admin may add to `orgId`, or null, the same null whether the user does
     * not exist, is deactivated, is the break-glass platform admin or is held by another org
     * (a membership, SSO identity or SCIM record there): an org sees and touches only users
     * no other tenant has, and the answer says nothing about other tenants.
     */
    async addable(orgId: string, by: { id: string } | { email: string }): Promise<UserRef | null> {
      const where = 'id' in by ? { id: by.id } : { email: by.email.trim().toLowerCase() };
      const user = await db.system.user.findUnique({ where, select: { ...select, isPlatformAdmin: true } });
      if (!user || user.status !== 'active' || user.isPlatformAdmin) return null;
      if (await heldByAnotherOrg(db, user.id, orgId)) return null;
      return { id: user.id, email: user.email, status: user.status };
    },
  };
}

export type UserStore = ReturnType<typeof userStore>;
