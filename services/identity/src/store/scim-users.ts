// The database side of SCIM Users (the rules are domain/scim-users.ts and scim-pending.ts).
// An org's SCIM resources are its members, its scim_users rows and its pending SCIM users
// (scim_pending_users: an email the org holds without an account). Reads of a page of
// resources are batched: one transaction with a fixed number of queries whatever the page
// size (a page of 200 once took about 800 queries, one set per user).
import {
  acceptPendingGrant,
  heldByAnotherOrg,
  holdingEmail,
  type Db,
  type Role,
  type Tx,
} from '@airlock/common';
import { removeMembership, upsertMembership } from './memberships.js';

export interface PendingRow {
  id: string;
  orgId: string;
  email: string;
  userId: string | null;
  externalId: string | null;
  name: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimAccount {
  user: {
    id: string;
    email: string;
    name: string | null;
    status: string;
    createdAt: Date;
    updatedAt: Date;
  };
  member: boolean;
  scim: { externalId: string | null; createdAt: Date; updatedAt: Date } | null;
}

/**
 * One SCIM resource id as stored: its pending row (if the id names one) and the account it
 * stands for (null when there is none, or the account is neither a member nor a SCIM user of
 * this org).
 */
export interface ScimResourceRecord {
  id: string;
  pending: PendingRow | null;
  account: ScimAccount | null;
}

const isUniqueViolation = (e: unknown) => (e as { code?: unknown })?.code === 'P2002';

/**
 * The stored records of these resource ids, in their order: four queries in one org-scoped
 * transaction (pending rows, then users, memberships and scim_users of the accounts).
 */
export function scimResources(db: Db, orgId: string, ids: readonly string[]): Promise<ScimResourceRecord[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.inOrg(orgId, async (tx) => {
    const pendingRows: PendingRow[] = await tx.scimPendingUser.findMany({
      where: { orgId, id: { in: [...ids] } },
    });
    const pendingById = new Map(pendingRows.map((p) => [p.id, p]));
    // An attached pending row names its account; any other id is the account's own.
    const userIdOf = (id: string) => (pendingById.has(id) ? pendingById.get(id)!.userId : id);
    const userIds = [...new Set(ids.map(userIdOf).filter((u): u is string => u !== null))];
    const users = await tx.user.findMany({
      where: { id: { in: userIds } },
      select: { id: true, email: true, name: true, status: true, createdAt: true, updatedAt: true },
    });
    const members = await tx.membership.findMany({
      where: { orgId, userId: { in: userIds } },
      select: { userId: true },
    });
    const tracked = await tx.scimUser.findMany({
      where: { orgId, userId: { in: userIds } },
      select: { userId: true, externalId: true, createdAt: true, updatedAt: true },
    });
    const userById = new Map(users.map((u) => [u.id, u]));
    const memberIds = new Set(members.map((m) => m.userId));
    const scimById = new Map(tracked.map((t) => [t.userId, t]));
    return ids.map((id) => {
      const pending = pendingById.get(id) ?? null;
      const userId = userIdOf(id);
      const user = userId ? userById.get(userId) : undefined;
      const member = userId ? memberIds.has(userId) : false;
      const scim = userId ? (scimById.get(userId) ?? null) : null;
      const account = user && (member || scim) ? { user, member, scim } : null;
      return { id, pending, account };
    });
  });
}

/** The org's SCIM resources before aliasing (see domain/scim-users.ts listScimUserIds). */
export function scimResourceRows(db: Db, orgId: string) {
  return db.inOrg(orgId, async (tx) => ({
    members: await tx.membership.findMany({ where: { orgId }, select: { userId: true } }),
    tracked: await tx.scimUser.findMany({ where: { orgId }, select: { userId: true } }),
    pending: await tx.scimPendingUser.findMany({ where: { orgId }, select: { id: true, userId: true } }),
  }));
}

export function findPending(db: Db, orgId: string, id: string): Promise<PendingRow | null> {
  return db.forOrg(orgId).scimPendingUser.findUnique({ where: { id } });
}

export function findPendingByEmail(db: Db, orgId: string, email: string): Promise<PendingRow | null> {
  return db.forOrg(orgId).scimPendingUser.findUnique({ where: { orgId_email: { orgId, email } } });
}

/** Ids of the accounts with this email (the holding one and any that do not hold it). */
export async function accountIdsWithEmail(db: Db, orgId: string, email: string): Promise<string[]> {
  const rows = await db.forOrg(orgId).user.findMany({ where: { email }, select: { id: true } });
  return rows.map((r) => r.id);
}

/** The account that holds the email globally, or null. */
export function findHoldingAccount(db: Db, email: string) {
  return db.prisma.user.findFirst({ where: holdingEmail(email) });
}

/** Whether another org holds the account (member, IdP identity or SCIM user there). */
export function heldElsewhere(db: Db, userId: string, orgId: string): Promise<boolean> {
  return heldByAnotherOrg(db, userId, orgId);
}

/**
 * Whether this org already has a SCIM user or member for this email or externalId (SCIM's
 * `uniqueness`, judged only among the org's own): `holderId` is the account holding the email.
 */
export async function scimDuplicateExists(
  db: Db,
  orgId: string,
  email: string,
  externalId: string | null,
  holderId: string | null,
): Promise<boolean> {
  const scoped = db.forOrg(orgId);
  const key = holderId ? { orgId_userId: { orgId, userId: holderId } } : null;
  const [local, member, tracked, pending, sameExternal] = await Promise.all([
    // This org's own account for the email that does not hold it (created by its IdP).
    scoped.user.findFirst({
      where: {
        email,
        holdsEmail: false,
        OR: [{ memberships: { some: { orgId } } }, { ssoIdentities: { some: { orgId } } }],
      },
    }),
    key ? scoped.membership.findUnique({ where: key }) : null,
    key ? scoped.scimUser.findUnique({ where: key }) : null,
    scoped.scimPendingUser.findUnique({ where: { orgId_email: { orgId, email } } }),
    externalId
      ? Promise.all([
          scoped.scimUser.count({ where: { orgId, externalId } }),
          scoped.scimPendingUser.count({ where: { orgId, externalId } }),
        ]).then(([a, b]) => a + b)
      : 0,
  ]);
  return Boolean(local || member || tracked || pending || sameExternal > 0);
}

/** A new pending SCIM user; null when the org has one for this email already (a race). */
export async function createPendingUser(
  db: Db,
  data: { orgId: string; email: string; externalId: string | null; name: string | null; active: boolean },
): Promise<PendingRow | null> {
  try {
    return await db.inOrg(data.orgId, (tx) => tx.scimPendingUser.create({ data }));
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

export function updatePending(
  db: Db,
  orgId: string,
  id: string,
  data: { name?: string; active?: boolean; externalId?: string | null },
): Promise<PendingRow> {
  return db.inOrg(orgId, (tx) => tx.scimPendingUser.update({ where: { id }, data }));
}

/** Records the account a pending SCIM user now stands for. */
export async function attachPending(db: Db, orgId: string, id: string, userId: string): Promise<void> {
  await db.inOrg(orgId, (tx) => tx.scimPendingUser.update({ where: { id }, data: { userId } }));
}

/** A new account (a given id: a pending row's); null when the email or id was taken meanwhile. */
export async function createAccount(
  db: Db,
  data: { id?: string; email: string; name: string | null },
): Promise<{ id: string } | null> {
  try {
    return await db.prisma.user.create({ data, select: { id: true } });
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

interface Tracking {
  orgId: string;
  userId: string;
  /** undefined: keep the stored one. */
  externalId?: string | null;
}

function track(tx: Tx, t: Tracking, active: boolean) {
  const key = { orgId_userId: { orgId: t.orgId, userId: t.userId } };
  return tx.scimUser.upsert({
    where: key,
    create: { orgId: t.orgId, userId: t.userId, active, externalId: t.externalId ?? null },
    update: { active, ...(t.externalId === undefined ? {} : { externalId: t.externalId }) },
  });
}

/**
 * Marks the account active in the org's directory and, if it is not a member, makes it one in
 * the same transaction: with the role of the open invitation for `invitation.email` when there
 * is one (taken here), else `roleFor(null)`. Returns the role before (null: was not a member).
 */
export function activateScimAccount(
  db: Db,
  t: Tracking,
  invitation: { email: string; now: Date } | null,
  roleFor: (granted: Role | null) => Role,
): Promise<{ before: Role | null; granted: Role | null }> {
  const { orgId, userId } = t;
  return db.inOrg(orgId, async (tx) => {
    await track(tx, t, true);
    const m = await tx.membership.findUnique({ where: { orgId_userId: { orgId, userId } } });
    if (m) return { before: m.role, granted: null };
    const granted = invitation
      ? await acceptPendingGrant(tx, orgId, invitation.email, userId, invitation.now)
      : null;
    return { before: await upsertMembership(tx, orgId, userId, roleFor(granted)), granted };
  });
}

/** Marks the account inactive in the org's directory and removes its membership; the old role. */
export function deactivateScimAccount(db: Db, t: Tracking): Promise<Role | null> {
  return db.inOrg(t.orgId, async (tx) => {
    await track(tx, t, false);
    return removeMembership(tx, t.orgId, t.userId);
  });
}

/**
 * At a sign-in through this org's IdP that gave `userId` a membership: the org's pending SCIM
 * user for that email becomes an ordinary SCIM record of the account (its externalId and
 * active state kept), and its row stays the resource id the IdP knows.
 */
export async function bindPendingAtSignIn(tx: Tx, orgId: string, email: string, userId: string) {
  const row = await tx.scimPendingUser.findUnique({ where: { orgId_email: { orgId, email } } });
  if (!row || row.userId) return;
  await tx.scimUser.upsert({
    where: { orgId_userId: { orgId, userId } },
    create: { orgId, userId, externalId: row.externalId, active: row.active },
    update: { externalId: row.externalId, active: row.active },
  });
  await tx.scimPendingUser.update({ where: { id: row.id }, data: { userId } });
}
