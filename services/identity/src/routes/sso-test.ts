// Test sign-in for owners and admins (and the platform admin), see domain/sso-test.ts.
//   POST /api/v1/sso/connections/:id/test          { url } to open in the browser (session only)
//   GET  /auth/login?org=&connection=&test=1       the same start, from an admin session
//   GET  /api/v1/sso/connections/:id/test-result   the report, once; 404 until there is one
// The platform admin uses the same paths under /api/v1/sso/orgs/:orgId (an org's first connection).
import { AirlockError, principalOf } from '@airlock/common';
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { identityErrors } from '../errors.js';
import { findConnection } from '../store/sso-connections.js';
import { takeTestResult } from '../store/sso-test-results.js';
import { safeReturnTo } from '../domain/sso-login.js';
import { findOrg } from '../store/orgs.js';

export function ssoTestRoutes(ctx: IdentityContext): Router {
  const router = Router();

  const { authorize } = ctx.access;
  const own = authorize('read', 'SsoConnection', {
    refuse: () => identityErrors.forbidden('test SSO connections'),
  });
  // Another org's connections: only abilities.ts's platform rules admit the caller.
  const platform = authorize('read', 'SsoConnection', {
    scope: 'platform',
    refuse: () => identityErrors.forbidden('test another organisation’s SSO'),
  });

  /** The connection under test: in the caller's org, or (platform path) the org named. */
  async function connectionOf(req: Request) {
    const p = principalOf(req);
    const named = req.params.orgId;
    const orgId = named === undefined ? p.orgId : z.uuid().safeParse(named).data;
    if (!orgId) throw identityErrors.orgNotFound();
    // The report is kept for the person who ran the test: a credential without one cannot.
    if (!p.userId) throw identityErrors.forbidden('test SSO connections');
    const id = z.uuid().safeParse(req.params.id);
    const row = id.success ? await findConnection(ctx.db, orgId, id.data) : null;
    if (!row) throw identityErrors.connectionNotFound();
    return { row, orgId, userId: p.userId };
  }

  const start: RequestHandler = async (req, res) => {
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
  };

  const result: RequestHandler = async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const { row, userId } = await connectionOf(req);
    const report = await takeTestResult(ctx.redis, row.id, userId);
    if (!report)
      throw new AirlockError(
        'not_found',
        'no test sign-in result (none finished yet, or it was already read)',
      );
    res.json(report);
  };

  router.post('/api/v1/sso/connections/:id/test', ctx.sessionOnly, own, start);
  router.post('/api/v1/sso/orgs/:orgId/connections/:id/test', ctx.sessionOnly, platform, start);
  router.get('/api/v1/sso/connections/:id/test-result', ctx.anyCredential, own, result);
  router.get('/api/v1/sso/orgs/:orgId/connections/:id/test-result', ctx.anyCredential, platform, result);

  return router;
}
