// The usage overview (GET /api/v1/audit/stats?window=24h|7d|30d): requests, errors and tokens
// from ai.request metadata, for the whole org (owners, admins) or only the caller's own events
// (members, viewers). Who sees which is CASL's 'read Usage' rule, as everywhere else.
import { Router, type Request } from 'express';
import { can, noOrgError, principalOf } from '@airlock/common';
import type { AuditContext } from '../context.js';
import { bucketStarts, parseStatsQuery, windowRange, type UsageStats } from '../domain/stats.js';
import { auditErrors } from '../errors.js';
import { usageStats } from '../store/stats.js';

/** The org and, for a caller who may read only their own usage, the actor to narrow to. */
function authorizedScope(req: Request): { orgId: string; actorId?: string } {
  const principal = principalOf(req);
  const orgId = principal.orgId;
  // authorize() (scope 'org') has refused an org-less credential so already; this narrows the type.
  if (!orgId) throw noOrgError();
  if (can(req, 'read', 'Usage', { orgId })) return { orgId };
  if (principal.userId && can(req, 'read', 'Usage', { orgId, userId: principal.userId })) {
    return { orgId, actorId: principal.userId };
  }
  throw auditErrors.forbidden('read usage');
}

export function auditStatsRoutes(ctx: AuditContext): Router {
  const router = Router();
  // Before the credential: refusals are not cached either.
  router.use('/api/v1/audit/stats', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.get(
    '/api/v1/audit/stats',
    ctx.access.authenticate(['session', 'api_token']),
    // Everyone with an org role reads at least their own usage; which is decided below.
    ctx.access.authorize('read', 'Usage', { refuse: () => auditErrors.forbidden('read usage') }),
    async (req, res) => {
      const { orgId, actorId } = authorizedScope(req);
      const { window } = parseStatsQuery(req.query);
      const { from, to, bucket } = windowRange(window, ctx.clock());
      const { totals, breakdowns, series } = await usageStats(ctx.db, { orgId, actorId, from, to, bucket });
      const body: UsageStats = {
        window,
        from: from.toISOString(),
        to: to.toISOString(),
        scope: actorId === undefined ? 'org' : 'self',
        totals,
        ...breakdowns,
        series: bucketStarts(from, to, bucket).map((t) => ({
          t,
          ...(series.get(t) ?? { requests: 0, errors: 0 }),
        })),
      };
      res.json(body);
    },
  );
  return router;
}
