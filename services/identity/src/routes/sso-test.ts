// Test sign-in for owners and admins (and the platform admin), see domain/sso-test.ts.
//   POST /api/v1/sso/connections/:id/test          { url } to open in the browser (session only)
//   GET  /auth/login?org=&connection=&test=1       the same start, from an admin session
//   GET  /api/v1/sso/connections/:id/test-result   the report, once; 404 until there is one
// The platform admin uses the same paths under /api/v1/sso/orgs/:orgId (an org's first connection).
import { AirlockError, principalOf } from '@airlock/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { may } from '../domain/access.js';
import { identityErrors } from '../errors.js';
import { findConnection } from '../store/sso-connections.js';
import { takeTestResult } from '../store/sso-test-results.js';
import { findOrg } from '../store/orgs.js';
import { safeReturnTo } from '../domain/sso-login.js';

export function ssoTestRoutes(ctx: IdentityContext): Router {
  const router = Router();

  /** The connection under test: in the caller's org, or (platform path) the org named. */
  async function connectionOf(req: Request) {
    const p = principalOf(req);
    const named = req.params.orgId;
    if (named !== undefined && !p.isPlatformAdmin)
      throw identityErrors.forbidden('test another organisation’s SSO');
    const orgId = named === undefined ? p.orgId : z.uuid().safeParse(named).data;
    if (named === undefined && !orgId) throw identityErrors.noOrg();
    if (!orgId) throw identityErrors.orgNotFound();
    if (!p.userId || !may(p, 'read', 'SsoConnection', { orgId }))
      throw identityErrors.forbidden('test SSO connections');
    const id = z.uuid().safeParse(req.params.id);
    const row = id.success ? await findConnection(ctx.db, orgId, id.data) : null;
    if (!row) throw identityErrors.connectionNotFound();
    return { row, orgId, userId: p.userId };
  }

  router.post(
    ['/api/v1/sso/connections/:id/test', '/api/v1/sso/orgs/:orgId/connections/:id/test'],
    ctx.sessionOnly,
    async (req, res) => {
      const { row, orgId } = await connectionOf(req);
      const org = await findOrg(ctx.db, { id: orgId });
      if (!org) throw identityErrors.connectionNotFound();
      const body = (req.body ?? {}) as { returnTo?: unknown };
      const url = new URL('/auth/login', ctx.config.AIRLOCK_PUBLIC_URL);
      url.searchParams.set('org', org.slug);
      url.searchParams.set('connection', row.id);
      url.searchParams.set('test', '1');
      url.searchParams.set(
        'returnTo',
        safeReturnTo(typeof body.returnTo === 'string' ? body.returnTo : undefined),
      );
      res.json({ url: url.toString() });
    },
  );

  router.get(
    ['/api/v1/sso/connections/:id/test-result', '/api/v1/sso/orgs/:orgId/connections/:id/test-result'],
    ctx.anyCredential,
    async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const { row, userId } = await connectionOf(req);
      const result = await takeTestResult(ctx.redis, row.id, userId);
      if (!result)
        throw new AirlockError(
          'not_found',
          'no test sign-in result (none finished yet, or it was already read)',
        );
      res.json(result);
    },
  );

  return router;
}
