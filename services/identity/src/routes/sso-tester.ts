// Who may start a test sign-in (see domain/sso-test.ts): shared by /auth/login?test=1.
import { principalOf, type Principal } from '@airlock/common';
import type { Request, Response } from 'express';
import type { IdentityContext } from '../context.js';
import { may } from '../domain/access.js';
import { identityErrors } from '../errors.js';

/**
 * The admin starting a test sign-in of `orgId`'s connections: a session (through the same
 * authentication as every API route: IP allowlist included) whose role may read them.
 */
export async function authorizeTester(
  ctx: IdentityContext,
  req: Request,
  res: Response,
  orgId: string,
): Promise<{ userId: string }> {
  await new Promise<void>((resolve, reject) =>
    ctx.sessionOnly(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
  );
  const p: Principal = principalOf(req);
  if (!p.userId || !may(p, 'read', 'SsoConnection', { orgId })) {
    throw identityErrors.forbidden('test this organisation’s SSO connections');
  }
  return { userId: p.userId };
}
