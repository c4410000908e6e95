// The pages of the CLI sign-in at /device. Plain HTML with every value escaped, no script
// and no style; the only thing the CSP allows beyond the error page is posting forms back to
// this origin (form-action 'self').
import type { Response } from 'express';
import { escapeHtml, sendPage } from './error-page.js';
import { formatUserCode } from '../../store/device-codes.js';

export const DEVICE_PAGE_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function page(res: Response, status: number, title: string, body: string): void {
  // Codes and decisions are per person: no cache may keep these pages.
  res.setHeader('Cache-Control', 'no-store');
  sendPage(res, status, title, body, DEVICE_PAGE_CSP);
}

/** Asks for the code (and, when nobody is signed in yet, for the org to sign in to). */
export function sendCodeForm(
  res: Response,
  opts: { askOrg: boolean; message?: string; status?: number },
): void {
  const org = opts.askOrg
    ? `<p><label>Organisation <input name="org" required pattern="[a-z0-9][a-z0-9-]{0,62}" autocomplete="organization"></label></p>\n`
    : '';
  page(
    res,
    opts.status ?? 200,
    'Sign in a device',
    `<h1>Sign in the Airlock CLI</h1>
${opts.message ? `<p><strong>${escapeHtml(opts.message)}</strong></p>\n` : ''}<p>Enter the code your terminal shows.</p>
<form method="get" action="/device">
${org}<p><label>Code <input name="user_code" required maxlength="32" autocomplete="off" autocapitalize="characters"></label></p>
<p><button type="submit">Continue</button></p>
</form>`,
  );
}

export function sendApprovePage(
  res: Response,
  view: {
    userCode: string;
    orgName: string;
    email: string | null;
    clientIp: string | null;
    csrf: string;
  },
): void {
  const hidden = (name: string, value: string) =>
    `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const form = (decision: 'approve' | 'deny', label: string) =>
    `<form method="post" action="/device">
${hidden('user_code', formatUserCode(view.userCode))}
${hidden('csrf', view.csrf)}
${hidden('decision', decision)}
<button type="submit">${label}</button>
</form>`;
  page(
    res,
    200,
    'Approve sign-in',
    `<h1>Sign in the Airlock CLI?</h1>
<p>Code: <strong>${escapeHtml(formatUserCode(view.userCode))}</strong></p>
<p>Organisation: <strong>${escapeHtml(view.orgName)}</strong></p>
<p>Signed in as: ${escapeHtml(view.email ?? 'unknown')}</p>
${view.clientIp ? `<p>Requested from: ${escapeHtml(view.clientIp)}</p>\n` : ''}<p>Approve only if this code is on <em>your</em> screen and you started the sign-in yourself.
The CLI gets an API token that acts as you, until this browser session ends.</p>
${form('approve', 'Approve')}
${form('deny', 'Deny')}`,
  );
}

export function sendDevicePage(res: Response, status: number, title: string, message: string): void {
  page(
    res,
    status,
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>`,
  );
}

/** The code names another org than the browser's session: sign in there first. */
export function sendWrongOrg(res: Response, orgSlug: string, loginHref: string): void {
  page(
    res,
    403,
    'Another organisation',
    `<h1>This code is for ${escapeHtml(orgSlug)}</h1>
<p>You are signed in to another organisation.</p>
<p><a href="${escapeHtml(loginHref)}">Sign in to ${escapeHtml(orgSlug)}</a></p>`,
  );
}
