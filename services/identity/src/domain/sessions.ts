// Signing in and out: the session cookie and the rules around it.
import type { Request, Response } from 'express';
import { readCookie, sessionCookieName } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { insertSession, revokeSessionByToken, revokeUserSessions } from '../store/sessions.js';
import { sha256Hex } from '@airlock/common';

/** The cookie value of the current request's session, if any. */
export function sessionCookieOf(req: Request, secure: boolean): string | undefined {
  const value = readCookie(req, sessionCookieName(secure));
  return value && value.length <= 512 ? value : undefined;
}

/**
 * HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Path=/ and
 * Secure whenever the public URL is https, where the __Host- prefix also pins it to this
 * exact host.
 */
export function setSessionCookie(res: Response, secure: boolean, token: string, expires: Date): void {
  res.cookie(sessionCookieName(secure), token, {
    httpOnly: true,
    secure,
    sameSite: 'lax',
    path: '/',
    expires,
    encode: String, // the token is base64url already; keep it byte-for-byte
  });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(sessionCookieName(secure), { httpOnly: true, secure, sameSite: 'lax', path: '/' });
}

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

/** Starts a fresh session and sets its cookie (see openSession). */
export async function signIn(ctx: IdentityContext, req: Request, res: Response, who: SignIn) {
  const session = await openSession(ctx, {
    ...who,
    previousToken: sessionCookieOf(req, ctx.secureCookies),
    clientIp: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
  });
  setSessionCookie(res, ctx.secureCookies, session.token, session.absoluteExpiresAt);
  return session;
}

/** Ends the request's session (if any); returns the revoked row. */
export async function signOut(ctx: IdentityContext, req: Request, res: Response) {
  const token = sessionCookieOf(req, ctx.secureCookies);
  clearSessionCookie(res, ctx.secureCookies);
  if (!token) return null;
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
