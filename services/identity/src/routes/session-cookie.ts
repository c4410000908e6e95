// The session cookie: reading it, setting it at sign-in, clearing it at sign-out. The session
// rules (lifetimes, revoking the previous one) are domain/sessions.ts.
import type { Request, Response } from 'express';
import { readCookie, sessionCookieName } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { closeSession, openSession, type SignIn } from '../domain/sessions.js';

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
  return closeSession(ctx, token);
}
