// Memberships, always inside the org's scope (RLS is the second wall). Role changes and
// removals lock the org's owner rows first, so two owners demoting each other at once
// cannot leave the org without an owner.
import type { Db, Role, Tx } from '@airlock/common';
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

async function lockOwners(tx: Tx, orgId: string): Promise<number> {
  const owners = await tx.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM memberships WHERE org_id = ${orgId}::uuid AND role = 'owner' ORDER BY user_id FOR UPDATE`;
  return owners.length;
}

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

/** Owners of the org whose account is active (identity's "owner path" check reads this). */
export function countActiveOwners(tx: Tx, orgId: string): Promise<number> {
  return tx.membership.count({ where: { orgId, role: 'owner', user: { status: 'active' } } });
}

/**
 * Every membership removal goes through here: it revokes the member's API tokens and sessions
 * in that org in the same transaction, so adding them back later (however soon) starts with no
 * credential of the old membership. The resolver's issued-before-membership check is only the
 * second wall (it allows clock skew between app and database).
 */
async function deleteMembership(tx: Tx, orgId: string, userId: string): Promise<void> {
  await tx.membership.delete({ where: { orgId_userId: { orgId, userId } } });
  const revokedAt = new Date();
  await tx.apiToken.updateMany({ where: { orgId, userId, revokedAt: null }, data: { revokedAt } });
  await tx.session.updateMany({ where: { orgId, userId, revokedAt: null }, data: { revokedAt } });
}

/**
 * For provisioning outside the member API (identity's SSO role mapping and SCIM): sets, or
 * with `role` null removes, a membership inside the caller's org-scoped transaction, under
 * the same owner lock as the API, and refuses (rbacErrors.lastOwner, 409) to demote or
 * remove the org's last owner. Returns the role before (null: was not a member). The caller
 * audits member.* and calls resolver.invalidate({type: 'user', id}) after commit.
 */
export async function provisionMembership(
  tx: Tx,
  orgId: string,
  userId: string,
  role: Role | null,
): Promise<Role | null> {
  const owners = await lockOwners(tx, orgId);
  const rows = await tx.$queryRaw<{ role: Role }[]>`
    SELECT role FROM memberships WHERE org_id = ${orgId}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
  const before = rows[0]?.role ?? null;
  if (before === 'owner' && role !== 'owner' && owners <= 1) throw rbacErrors.lastOwner();
  const key = { orgId_userId: { orgId, userId } };
  if (role === null) {
    if (before) await deleteMembership(tx, orgId, userId);
  } else if (before === null) {
    await tx.membership.create({ data: { orgId, userId, role } });
  } else if (before !== role) {
    await tx.membership.update({ where: key, data: { role } });
  }
  return before;
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
