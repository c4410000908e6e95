// The database side of just-in-time SSO provisioning (the rules are domain/provisioning.ts):
// one org-scoped transaction finds or creates the user, records the IdP identity and groups,
// takes an open invitation, sets or removes the membership, and attaches the org's pending
// SCIM user. The domain decides, through the callbacks, whether the account found may sign
// in and which role it gets; everything it decides on is read inside this transaction.
import {
  acceptPendingGrant,
  heldByAnotherOrg,
  holdingEmail,
  type Db,
  type Role,
  type Tx,
} from '@airlock/common';
import { removeMembership, upsertMembership } from './memberships.js';
import { bindPendingAtSignIn } from './scim-users.js';

export interface SsoAccountInput {
  orgId: string;
  connectionId: string;
  subject: string;
  /** Lower-cased and checked by the caller. */
  email: string;
  name: string | null;
  groups: string[];
  now: Date;
  /** The org claims email domains (the caller checked this email is in one). */
  claims: boolean;
  /** Whether an open invitation for the email may be taken (a verified email only). */
  takeInvitation: boolean;
}

export interface SsoAccountRules {
  /**
   * Throws to refuse the account found (null: none, one will be created). `linked`: the IdP
   * identity is new and reaches an account that exists by email; `heldElsewhere` tells
   * whether another org holds that account (read only when asked).
   */
  admit(
    account: { isPlatformAdmin: boolean; status: string } | null,
    linked: boolean,
    heldElsewhere: () => Promise<boolean>,
  ): Promise<void>;
  /** The role to hold given the invitation taken (null: none); null removes the membership. */
  roleWith(granted: Role | null): Role | null;
}

export interface SsoAccountResult {
  userId: string;
  role: Role | null;
  roleBefore: Role | null;
  created: boolean;
  linked: boolean;
  granted: Role | null;
}

export function provisionSsoAccount(
  db: Db,
  input: SsoAccountInput,
  rules: SsoAccountRules,
): Promise<SsoAccountResult> {
  const { orgId, email, now } = input;
  return db.inOrg(orgId, async (tx) => {
    const identity = await tx.ssoIdentity.findUnique({
      where: { connectionId_subject: { connectionId: input.connectionId, subject: input.subject } },
    });
    let user = identity
      ? await tx.user.findUnique({ where: { id: identity.userId } })
      : await accountForEmail(tx, orgId, email, input.claims);
    const linked = !identity && user !== null;
    await rules.admit(user, linked, () => heldByAnotherOrg(db, user!.id, orgId));
    const created = !user;
    if (!user) {
      // Outside claimed domains the account does not hold the email (squatting, issue 12).
      user = await tx.user.create({
        data: { email, name: input.name, lastLoginAt: now, holdsEmail: input.claims },
      });
    } else {
      user = await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: now } });
    }
    if (identity) {
      await tx.ssoIdentity.update({
        where: { id: identity.id },
        data: { groups: input.groups, lastLoginAt: now },
      });
    } else {
      await tx.ssoIdentity.create({
        data: {
          orgId,
          connectionId: input.connectionId,
          subject: input.subject,
          userId: user.id,
          groups: input.groups,
          lastLoginAt: now,
        },
      });
    }
    const granted = input.takeInvitation ? await acceptPendingGrant(tx, orgId, email, user.id, now) : null;
    const role = rules.roleWith(granted);
    if (role === null) {
      const removed = await removeMembership(tx, orgId, user.id);
      return { userId: user.id, role: null, roleBefore: removed, created, linked, granted };
    }
    const roleBefore = await upsertMembership(tx, orgId, user.id, role);
    // The person's own sign-in through this org's IdP attaches the org's pending SCIM user.
    await bindPendingAtSignIn(tx, orgId, email, user.id);
    return { userId: user.id, role, roleBefore, created, linked, granted };
  });
}

/**
 * The account a first sign-in of `email` through this org's IdP reaches by email. An org that
 * claims the email's domain reaches the account holding the email. An org that claims no
 * domains reaches only accounts it already holds (its own that do not hold their email, or the
 * holding account when it is already this org's) and otherwise creates one that does not hold
 * the email, so it cannot squat an address that another org owns and block that org. The
 * break-glass account is returned either way, for the caller to refuse.
 */
async function accountForEmail(tx: Tx, orgId: string, email: string, claims: boolean) {
  const holding = await tx.user.findFirst({ where: holdingEmail(email) });
  if (claims || holding?.isPlatformAdmin) return holding;
  const here = {
    OR: [
      { memberships: { some: { orgId } } },
      { ssoIdentities: { some: { orgId } } },
      { scimUsers: { some: { orgId } } },
    ],
  };
  const own = await tx.user.findFirst({ where: { email, holdsEmail: false, ...here } });
  if (own) return own;
  if (holding && (await tx.user.count({ where: { id: holding.id, ...here } })) > 0) return holding;
  return null;
}

/**
 * Sets the user's name unless they belong to another org too (the name is global: one org's
 * IdP or directory renames only its own users). Returns whether it was set.
 */
export async function renameIfOnlyHere(
  db: Db,
  orgId: string,
  userId: string,
  name: string | null,
): Promise<boolean> {
  if (!name) return false;
  const elsewhere = await db.system.membership.count({ where: { userId, NOT: { orgId } } });
  if (elsewhere > 0) return false;
  await db.prisma.user.update({ where: { id: userId }, data: { name } });
  return true;
}
