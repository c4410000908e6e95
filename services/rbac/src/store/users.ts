// Users are identity's table and global (no org): rbac looks them up only for the platform
// (naming an org's first owner). Org admins never look users up: they invite by email.
import { holdingEmail, type Db } from '@airlock/common';

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
      db.system.user.findFirst({ where: holdingEmail(email.trim().toLowerCase()), select }),
  };
}

export type UserStore = ReturnType<typeof userStore>;
