// Memberships, always inside the org's scope (RLS is the second wall). Role changes and
// removals lock the org's owner rows first, so two owners demoting each other at once
// cannot leave the org without an owner. The lock, the removal (with its credential
// revocation) and provisionMembership live in common's membership/, shared with identity's
// SSO and SCIM provisioning (docs/data-model.md).
import { deleteMembership, lockOwners, type Db, type Role, type Tx } from '@airlock/common';
import { rbacErrors } from '../errors.js';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors.js';

export interface MemberRecord {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

type Target = { userId: string; role: Role };

async function lockOwnersAndTarget(
  tx: Tx,
  orgId: string,
  userId: string,
): Promise<{ owners: number; target: Target }> {
  const owners = await lockOwners(tx, orgId);
  const rows = await tx.$queryRaw<{ role: Role }[]>`
    SELECT role FROM memberships WHERE org_id = ${orgId}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
  const role = rows[0]?.role;
  if (!role) throw rbacErrors.memberNotFound();
  return { owners, target: { userId, role } };
}

const include = { user: { select: { email: true, name: true } } } as const;

function toRecord(m: {
  userId: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
  user: { email: string; name: string | null };
}): MemberRecord {
  return {
    userId: m.userId,
    email: m.user.email,
    name: m.user.name,
    role: m.role,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function memberStore(db: Db) {
  return {
    async list(orgId: string): Promise<MemberRecord[]> {
      const rows = await db
        .forOrg(orgId)
        .membership.findMany({ where: { orgId }, include, orderBy: { createdAt: 'asc' } });
      return rows.map(toRecord);
    },

    async get(orgId: string, userId: string): Promise<MemberRecord | null> {
      const row = await db
        .forOrg(orgId)
        .membership.findUnique({ where: { orgId_userId: { orgId, userId } }, include });
      return row ? toRecord(row) : null;
    },

    /** This org's member with this email (stored lower-cased), or null. Never looks outside the org. */
    async byEmail(orgId: string, email: string): Promise<MemberRecord | null> {
      const row = await db
        .forOrg(orgId)
        .membership.findFirst({ where: { orgId, user: { email: email.trim().toLowerCase() } }, include });
      return row ? toRecord(row) : null;
    },

    async add(orgId: string, userId: string, role: Role): Promise<MemberRecord> {
      try {
        return toRecord(await db.forOrg(orgId).membership.create({ data: { orgId, userId, role }, include }));
      } catch (e) {
        if (isUniqueViolation(e)) throw rbacErrors.alreadyMember();
        if (isForeignKeyViolation(e)) throw rbacErrors.userNotFound();
        throw e;
      }
    },

    /** `decide` sees the current role and owner count under lock and throws to refuse. */
    async changeRole(
      orgId: string,
      userId: string,
      role: Role,
      decide: (target: Target, owners: number) => void,
    ): Promise<{ before: Role; member: MemberRecord }> {
      return db.inOrg(orgId, async (tx) => {
        const { owners, target } = await lockOwnersAndTarget(tx, orgId, userId);
        decide(target, owners);
        const row = await tx.membership.update({
          where: { orgId_userId: { orgId, userId } },
          data: { role },
          include,
        });
        return { before: target.role, member: toRecord(row) };
      });
    },

    async remove(
      orgId: string,
      userId: string,
      decide: (target: Target, owners: number) => void,
    ): Promise<Role> {
      return db.inOrg(orgId, async (tx) => {
        const { owners, target } = await lockOwnersAndTarget(tx, orgId, userId);
        decide(target, owners);
        await deleteMembership(tx, orgId, userId);
        return target.role;
      });
    },
  };
}

export type MemberStore = ReturnType<typeof memberStore>;
