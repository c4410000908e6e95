// Cookies, read and configured the same way by every service.
import type { Request } from 'express';

/**
 * Cookies get Secure (and, for the session, the __Host- prefix) whenever users reach Airlock
 * over HTTPS; only a plain-http development URL (http://localhost:8080) sends them without.
 */
export function secureCookiesFor(publicUrl: string): boolean {
  return new URL(publicUrl).protocol === 'https:';
}

/** One cookie of the request, %-decoded as express sets it; a malformed escape is no cookie. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // malformed %-escape: treated as no cookie, not as a server error
      }
    }
  }
  return undefined;
}
