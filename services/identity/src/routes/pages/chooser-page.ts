// The page for an org with several enabled SSO connections: one link per connection, names
// only (no issuer, no IdP URL). Links and text, so it passes the same no-script CSP as the
// error page.
import type { Request, Response } from 'express';
import { escapeHtml, sendPage } from './error-page.js';

export interface ChooserOption {
  id: string;
  name: string;
}

export function sendChooser(
  req: Request,
  res: Response,
  org: { slug: string; name: string },
  options: ChooserOption[],
  returnTo: string,
): void {
  const link = (id: string) => {
    const q = new URLSearchParams({ org: org.slug, connection: id });
    if (returnTo !== '/') q.set('returnTo', returnTo);
    return `/auth/login?${q.toString()}`;
  };
  if (req.accepts(['html', 'json']) === 'json') {
    res.status(200).json({
      org: org.slug,
      connections: options.map((o) => ({ id: o.id, name: o.name, url: link(o.id) })),
    });
    return;
  }
  const items = options
    .map((o) => `<li><a href="${escapeHtml(link(o.id))}">${escapeHtml(o.name)}</a></li>`)
    .join('\n');
  sendPage(
    res,
    200,
    'Choose how to sign in',
    `<h1>Sign in to ${escapeHtml(org.name)}</h1>
<p>Choose how to sign in:</p>
<ul>
${items}
</ul>`,
  );
}
