// SCIM users an org holds without an account (scim_pending_users). SCIM POST /Users for an
// email this org may not attach now — another tenant's user, the break-glass account, any
// email when the org claims no domains — creates one of these instead of answering
// differently, so the SCIM token learns nothing about accounts outside the org. The row is the
// org's own SCIM resource (read, patch, replace, deactivate, list like any other) and holds no
// email globally, so it blocks no other org. It is attached (scim_users row + membership) once
// the account is attachable: the person's own sign-in through this org's IdP (store/scim-users.ts
// bindPendingAtSignIn), or a SCIM write when the email is in a claimed domain and no other org
// holds the account.
import type { IdentityContext } from '../context.js';
import { emailDomainAllowed } from './role-mapping.js';
import { findHoldingAccount, heldElsewhere, type PendingRow } from '../store/scim-users.js';

export type { PendingRow };

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
  const user = await findHoldingAccount(ctx.db, email);
  if (!user) return null;
  if (user.isPlatformAdmin || (await heldElsewhere(ctx.db, user.id, org.id))) return false;
  return user;
}
