// Sessions: their lifetimes, starting one, ending one or all (the cookie that carries a
// session is HTTP's: routes/session-cookie.ts).
import { sha256Hex } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { insertSession, revokeSessionByToken, revokeUserSessions } from '../store/sessions.js';

export interface SignIn {
  userId: string;
  orgId: string | null;
}

/**
 * The idle and absolute lifetimes of a new session: the stricter of the install's settings and
 * the org's policy (sessions.idleMinutes / absoluteHours). A policy that no longer parses
 * cannot loosen anything, so the install's settings then apply alone.
 */
export async function sessionLimits(ctx: IdentityContext, orgId: string | null) {
  let idleMs = ctx.settings.AIRLOCK_SESSION_IDLE_MINUTES * 60_000;
  let absoluteMs = ctx.settings.AIRLOCK_SESSION_ABSOLUTE_HOURS * 3_600_000;
  if (orgId) {
    try {
      const { sessions } = (await ctx.policies.get(orgId)).policy;
      idleMs = Math.min(idleMs, sessions.idleMinutes * 60_000);
      absoluteMs = Math.min(absoluteMs, sessions.absoluteHours * 3_600_000);
    } catch (e) {
      ctx.logger.warn(
        { err: (e as Error).message, orgId },
        'org policy unreadable; global session limits apply',
      );
    }
  }
  return { idleMs: Math.min(idleMs, absoluteMs), absoluteMs };
}

/** What starting a session needs to know about the request (no HTTP types: the route reads them). */
export interface SessionStart extends SignIn {
  /** The session cookie the browser already had, if any. */
  previousToken: string | undefined;
  clientIp: string | null;
  userAgent: string | null;
}

/**
 * Starts a fresh session (the caller sets its cookie). A session the browser already had is
 * revoked first: a sign-in (and any privilege change that comes with it) never reuses an old
 * cookie.
 */
export async function openSession(ctx: IdentityContext, start: SessionStart) {
  const now = ctx.clock();
  if (start.previousToken) {
    const ended = await revokeSessionByToken(ctx.db, start.previousToken, now);
    await ctx.resolver.invalidate({ type: 'credential', hash: sha256Hex(start.previousToken) });
    // CLI sign-in tokens bound to the old session end with it.
    if (ended) await ctx.resolver.invalidate({ type: 'user', id: ended.userId });
  }
  return insertSession(ctx.db, {
    userId: start.userId,
    orgId: start.orgId,
    clientIp: start.clientIp,
    userAgent: start.userAgent,
    ...(await sessionLimits(ctx, start.orgId)),
    now,
  });
}

/** Ends the session of this cookie value (if any) and drops cached principals; the revoked row. */
export async function closeSession(ctx: IdentityContext, token: string) {
  const session = await revokeSessionByToken(ctx.db, token, ctx.clock());
  await ctx.resolver.invalidate({ type: 'credential', hash: sha256Hex(token) });
  // CLI sign-in tokens bound to this session end with it: drop them from caches now too.
  if (session) await ctx.resolver.invalidate({ type: 'user', id: session.userId });
  return session;
}

/** Revokes all of a user's sessions in one org (null: everywhere) and drops cached principals. */
export async function revokeAllSessions(ctx: IdentityContext, userId: string, orgId: string | null) {
  const count = await revokeUserSessions(ctx.db, userId, orgId, ctx.clock());
  await ctx.resolver.invalidate({ type: 'user', id: userId });
  return count;
}
