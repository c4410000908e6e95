// API token rules: who may create, see, revoke and rotate which token.
import type { Principal } from '@airlock/common';
import { may } from './access.js';
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

function orgOf(p: Principal): string {
  if (!p.orgId || !p.userId) throw identityErrors.noOrg();
  return p.orgId;
}

export async function createToken(
  ctx: IdentityContext,
  p: Principal,
  input: { name: string; expiresInDays?: number },
) {
  const orgId = orgOf(p);
  if (!may(p, 'create', 'ApiToken', { orgId, userId: p.userId })) {
    throw identityErrors.forbidden('create API tokens');
  }
  const now = ctx.clock();
  const days = input.expiresInDays ?? ctx.settings.AIRLOCK_TOKEN_MAX_DAYS;
  const expiresAt = new Date(now.getTime() + days * 86_400_000);
  const { row, token } = await insertToken(ctx.db, {
    orgId,
    userId: p.userId!,
    name: input.name,
    expiresAt,
    now,
  });
  return { ...tokenView(row), token };
}

/** Own tokens; `all` lists every token of the org and needs the admin right. */
export async function listVisibleTokens(ctx: IdentityContext, p: Principal, all: boolean) {
  const orgId = orgOf(p);
  if (all) {
    if (!may(p, 'read', 'ApiToken', { orgId, userId: '*' })) {
      throw identityErrors.forbidden("list other members' tokens");
    }
    return (await listTokens(ctx.db, orgId, null)).map(tokenView);
  }
  return (await listTokens(ctx.db, orgId, p.userId)).map(tokenView);
}

/** Loads a token of the caller's org that the caller may `action`; 404 otherwise (no probing). */
async function tokenFor(ctx: IdentityContext, p: Principal, id: string, action: 'delete' | 'update') {
  const orgId = orgOf(p);
  const row = await findToken(ctx.db, orgId, id);
  if (!row) throw identityErrors.tokenNotFound();
  const userRole = await roleInOrg(ctx.db, row.orgId, row.userId);
  if (!may(p, action, 'ApiToken', { orgId: row.orgId, userId: row.userId, userRole })) {
    throw identityErrors.tokenNotFound();
  }
  return row;
}

export async function revokeToken(ctx: IdentityContext, p: Principal, id: string) {
  const row = await tokenFor(ctx, p, id, 'delete');
  if (row.revokedAt) return tokenView(row);
  const updated = await markRevoked(ctx.db, row.orgId, row.id, ctx.clock());
  await ctx.resolver.invalidate({ type: 'credential', hash: row.tokenHash });
  if (row.previousHash) await ctx.resolver.invalidate({ type: 'credential', hash: row.previousHash });
  return tokenView(updated);
}

export async function rotateToken(ctx: IdentityContext, p: Principal, id: string, graceSeconds: number) {
  if (graceSeconds > ctx.settings.AIRLOCK_TOKEN_MAX_GRACE_SECONDS) {
    throw identityErrors.invalid([
      {
        path: ['graceSeconds'],
        message: `must be at most ${ctx.settings.AIRLOCK_TOKEN_MAX_GRACE_SECONDS}`,
      },
    ]);
  }
  const row = await tokenFor(ctx, p, id, 'update');
  // The new secret goes to the caller: only the token's own user may receive it.
  if (row.userId !== p.userId) throw identityErrors.tokenNotFound();
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
