// The page a browser sees when a sign-in fails. Static HTML, every value escaped, no script
// or style (the app-wide CSP allows neither inline), nothing from the IdP echoed back.
import type { Request, Response } from 'express';
import { errorBody, AirlockError, type ErrorCode } from '@airlock/common';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** No script, no style, no form posts: the page is links and text only. */
export const PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function sendPage(res: Response, status: number, title: string, body: string, csp = PAGE_CSP): void {
  res
    .status(status)
    .type('html')
    .setHeader('Content-Security-Policy', csp)
    .send(
      `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Airlock</title></head>
<body>
<main>
${body}
</main>
</body>
</html>
`,
    );
}

/** The envelope's code for a sign-in failure's status (the precise reason is details.reason). */
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
};
const codeFor = (status: number): ErrorCode =>
  CODE_BY_STATUS[status] ?? (status >= 500 ? 'service_unavailable' : 'bad_request');

/**
 * A browser gets a page; a client asking for JSON (Accept: application/json) gets the usual
 * error envelope with `details.reason`, the same stable word as the auth.login_failed event.
 */
export function sendLoginError(
  req: Request,
  res: Response,
  failure: { status: number; userMessage: string; reason: string },
): void {
  if (req.accepts(['html', 'json']) === 'json') {
    const err = new AirlockError(codeFor(failure.status), failure.userMessage, {
      details: { reason: failure.reason },
    });
    res.status(failure.status).json(errorBody(err, req.id));
    return;
  }
  sendPage(
    res,
    failure.status,
    'Sign-in failed',
    `<h1>Sign-in failed</h1>
<p>${escapeHtml(failure.userMessage)}</p>
<p><a href="/">Back to Airlock</a></p>
<p><small>Reference: ${escapeHtml(req.id)}</small></p>`,
  );
}

/**
 * The page a sign-in started by another site gets instead of a redirect to the IdP: the user
 * confirms with a link from our own origin. Otherwise any site could navigate a browser
 * through an IdP that signs in silently (e.g. one the attacker controls) and leave the
 * victim signed in as the attacker (login CSRF).
 */
export function sendLoginConfirm(res: Response, orgSlug: string, href: string): void {
  sendPage(
    res,
    200,
    'Sign in',
    `<h1>Sign in to ${escapeHtml(orgSlug)}</h1>
<p>Another site sent you here to sign in. Continue only if you meant to sign in to Airlock.</p>
<p><a href="${escapeHtml(href)}">Continue to sign in</a></p>`,
  );
}
