// Who may start a test sign-in (see domain/sso-test.ts): shared by /auth/login?test=1.
import { assertCan, principalOf, type Principal } from '@airlock/common';
import type { Request, RequestHandler, Response } from 'express';
import type { IdentityContext } from '../context.js';
import { identityErrors } from '../errors.js';

function run(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    void middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/**
 * The admin starting a test sign-in of `orgId`'s connections, on the public sign-in route: a
 * session through the same steps as every API route (authenticate, then authorize with the
 * admin IP allowlist) whose ability reads that org's connections (its own org's, or any as
 * the platform admin).
 */
export async function authorizeTester(
  ctx: IdentityContext,
  req: Request,
  res: Response,
  orgId: string,
): Promise<{ userId: string }> {
  const refusal = () => identityErrors.forbidden('test this organisation’s SSO connections');
  await run(ctx.sessionOnly, req, res);
  await run(
    ctx.access.authorize('read', 'SsoConnection', { scope: 'org-or-platform', refuse: refusal }),
    req,
    res,
  );
  const p: Principal = principalOf(req);
  if (!p.userId) throw refusal();
  assertCan(req, 'read', 'SsoConnection', { orgId }, refusal);
  return { userId: p.userId };
}
