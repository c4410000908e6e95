// API tokens: creating, listing, revoking and rotating them. Who may do which to whose token
// is the shared ability's (common/access/abilities.ts), asked by the routes.
import type { Role } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { identityErrors } from '../errors.js';
import { roleInOrg } from '../store/member-roles.js';
import {
  findToken,
  insertToken,
  listTokens,
  markRevoked,
  revokeUserTokens,
  rotateSecret,
  tokenView,
} from '../store/tokens.js';

type TokenRow = NonNullable<Awaited<ReturnType<typeof findToken>>>;

export async function createToken(
  ctx: IdentityContext,
  owner: { orgId: string; userId: string },
  input: { name: string; expiresInDays?: number },
) {
  const now = ctx.clock();
  const days = input.expiresInDays ?? ctx.settings.AIRLOCK_TOKEN_MAX_DAYS;
  const expiresAt = new Date(now.getTime() + days * 86_400_000);
  const { row, token } = await insertToken(ctx.db, { ...owner, name: input.name, expiresAt, now });
  return { ...tokenView(row), token };
}

/** The user's own tokens in the org, or (userId null) every token of the org. */
export async function listOrgTokens(ctx: IdentityContext, orgId: string, userId: string | null) {
  return (await listTokens(ctx.db, orgId, userId)).map(tokenView);
}

/**
 * A token of the org and its user's role there (an owner's token is out of an admin's reach);
 * 404 for an unknown one.
 */
export async function loadToken(
  ctx: IdentityContext,
  orgId: string,
  id: string,
): Promise<{ row: TokenRow; userRole: Role | null }> {
  const row = await findToken(ctx.db, orgId, id);
  if (!row) throw identityErrors.tokenNotFound();
  return { row, userRole: await roleInOrg(ctx.db, row.orgId, row.userId) };
}

export async function revokeToken(ctx: IdentityContext, row: TokenRow) {
  if (row.revokedAt) return tokenView(row);
  const updated = await markRevoked(ctx.db, row.orgId, row.id, ctx.clock());
  await ctx.resolver.invalidate({ type: 'credential', hash: row.tokenHash });
  if (row.previousHash) await ctx.resolver.invalidate({ type: 'credential', hash: row.previousHash });
  return tokenView(updated);
}

/** Refuses a grace window longer than the install allows (a validation error). */
export function checkGraceSeconds(ctx: IdentityContext, graceSeconds: number): void {
  if (graceSeconds > ctx.settings.AIRLOCK_TOKEN_MAX_GRACE_SECONDS) {
    throw identityErrors.invalid([
      {
        path: ['graceSeconds'],
        message: `must be at most ${ctx.settings.AIRLOCK_TOKEN_MAX_GRACE_SECONDS}`,
      },
    ]);
  }
}

/** A new secret for a live token; a revoked or expired one is not found. */
export async function rotateToken(ctx: IdentityContext, row: TokenRow, graceSeconds: number) {
  const now = ctx.clock();
  if (row.revokedAt || (row.expiresAt && row.expiresAt <= now)) throw identityErrors.tokenNotFound();
  const graceUntil = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
  const { row: updated, token } = await rotateSecret(ctx.db, row.orgId, row.id, row.tokenHash, graceUntil);
  // The old secret's cached principal must go now when there is no grace window, and the
  // secret before it (a previous rotation's grace) stops working in any case.
  if (!graceUntil) await ctx.resolver.invalidate({ type: 'credential', hash: row.tokenHash });
  if (row.previousHash) await ctx.resolver.invalidate({ type: 'credential', hash: row.previousHash });
  return { ...tokenView(updated), token };
}

export async function revokeAllTokens(ctx: IdentityContext, userId: string, orgId: string | null) {
  const count = await revokeUserTokens(ctx.db, userId, orgId, ctx.clock());
  await ctx.resolver.invalidate({ type: 'user', id: userId });
  return count;
}
