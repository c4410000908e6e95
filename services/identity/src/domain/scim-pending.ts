// SCIM users an org holds without an account (scim_pending_users). SCIM POST /Users for an
// email this org may not attach now — another tenant's user, the break-glass account, any
// email when the org claims no domains — creates one of these instead of answering
// differently, so the SCIM token learns nothing about accounts outside the org. The row is the
// org's own SCIM resource (read, patch, replace, deactivate, list like any other) and holds no
// email globally, so it blocks no other org. It is attached (scim_users row + membership) once
// the account is attachable: the person's own sign-in through this org's IdP, or a SCIM write
// when the email is in a claimed domain and no other org holds the account.
import { heldByAnotherOrg, holdingEmail, type Tx } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { emailDomainAllowed } from './role-mapping.js';

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

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** The same resource shape scimUserView gives for an account, from the row alone. */
export function pendingView(row: PendingRow, baseUrl: string) {
  return {
    schemas: [USER_SCHEMA],
    id: row.id,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    userName: row.email,
    name: { formatted: row.name ?? undefined },
    displayName: row.name ?? undefined,
    emails: [{ value: row.email, primary: true, type: 'work' }],
    active: row.active,
    meta: {
      resourceType: 'User',
      created: row.createdAt.toISOString(),
      lastModified: row.updatedAt.toISOString(),
      location: `${baseUrl}/scim/v2/Users/${row.id}`,
    },
  };
}

/**
 * Whether this org may attach the account for `email` now: the email is in a domain the org
 * claims, and the account does not exist yet or is held by no other org and is not the
 * break-glass account. Returns the account (null: none yet) or false.
 */
export async function attachableAccount(
  ctx: IdentityContext,
  org: { id: string; allowedEmailDomains: string[] },
  email: string,
): Promise<{ id: string } | null | false> {
  if (org.allowedEmailDomains.length === 0 || !emailDomainAllowed(email, org.allowedEmailDomains))
    return false;
  const user = await ctx.db.prisma.user.findFirst({ where: holdingEmail(email) });
  if (!user) return null;
  if (user.isPlatformAdmin || (await heldByAnotherOrg(ctx.db, user.id, org.id))) return false;
  return user;
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
