// Accounts (users are global: one person, possibly several orgs; not under RLS).
import type { Db } from '@airlock/common';

/** The account with this id, or null. */
export function findUser(db: Db, id: string) {
  return db.prisma.user.findUnique({ where: { id } });
}
