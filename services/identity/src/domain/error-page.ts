// The page a browser sees when a sign-in fails. Static HTML, every value escaped, no script
// or style (the app-wide CSP allows neither inline), nothing from the IdP echoed back.
import type { Response } from 'express';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export function sendLoginError(res: Response, status: number, message: string, requestId: string): void {
  res
    .status(status)
    .type('html')
    .setHeader(
      'Content-Security-Policy',
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    )
    .send(
      `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in failed · Airlock</title></head>
<body>
<main>
<h1>Sign-in failed</h1>
<p>${escapeHtml(message)}</p>
<p><a href="/">Back to Airlock</a></p>
<p><small>Reference: ${escapeHtml(requestId)}</small></p>
</main>
</body>
</html>
`,
    );
}

/**
 * The page a sign-in started by another site gets instead of a redirect to the IdP: the user
 * confirms with a link from our own origin. Otherwise any site could navigate a browser
 * through an IdP that signs in silently (e.g. one the attacker controls) and leave the
 * victim signed in as the attacker (login CSRF).
 */
export function sendLoginConfirm(res: Response, orgSlug: string, href: string): void {
  res
    .status(200)
    .type('html')
    .setHeader(
      'Content-Security-Policy',
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    )
    .send(
      `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · Airlock</title></head>
<body>
<main>
<h1>Sign in to ${escapeHtml(orgSlug)}</h1>
<p>Another site sent you here to sign in. Continue only if you meant to sign in to Airlock.</p>
<p><a href="${escapeHtml(href)}">Continue to sign in</a></p>
</main>
</body>
</html>
`,
    );
}
