// Reading the audit trail (org admins and owners only; viewers and members not). A platform
// admin's org-less session (break-glass) reads the platform chain: the events that belong to
// no org, such as break-glass sign-ins and sign-ins to unknown orgs.
//   GET /api/v1/audit-events          filtered page, newest first, with a cursor for the next
//   GET /api/v1/audit-events/export   every matching event, oldest first, NDJSON or CSV, streamed
//   GET /api/v1/audit-events/verify   recomputes the org's hash chain, reports the first broken link
import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import { assertCan, auditActorOf, principalOf, requestMeta, type Principal } from '@airlock/common';
import type { AuditContext } from '../context.js';
import { csvLine } from '../domain/csv.js';
import {
  decodeCursor,
  describeFilter,
  encodeCursor,
  exportQuerySchema,
  listQuerySchema,
  parseQuery,
} from '../domain/filters.js';
import { verifyChain } from '../domain/verify.js';
import { CSV_COLUMNS, csvValues, viewOf } from '../domain/views.js';
import { auditErrors } from '../errors.js';
import { chainRows, chainStart } from '../store/events.js';
import { eachEvent, findEvents } from '../store/query.js';

/**
 * The chain the caller may `action`: the caller's org, or null (the platform chain) for a
 * platform admin with no org. Org rules carry the org id, so only the platform admin's
 * unconditioned rule matches an org-less subject.
 */
function authorizedChain(
  req: Request,
  action: 'read' | 'export',
): { principal: Principal; orgId: string | null } {
  const principal = principalOf(req);
  const orgId = principal.orgId ?? null;
  assertCan(req, action, 'AuditEvent', { orgId }, () => auditErrors.forbidden(`${action} audit events`));
  return { principal, orgId };
}

/** Writes with backpressure; false once the client has gone. */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  return !res.destroyed;
}

export function auditEventRoutes(ctx: AuditContext): Router {
  const router = Router();
  const credential = ctx.access.authenticate(['session', 'api_token']);
  // An org's trail for its admins and owners, the platform chain for an org-less platform admin.
  const door = (action: 'read' | 'export') =>
    [
      credential,
      ctx.access.authorize(action, 'AuditEvent', {
        scope: 'org-or-platform',
        refuse: () => auditErrors.forbidden(`${action} audit events`),
      }),
    ] as const;
  router.use('/api/v1/audit-events', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/api/v1/audit-events', ...door('read'), async (req, res) => {
    const { orgId } = authorizedChain(req, 'read');
    const { limit, cursor, ...filter } = parseQuery(listQuerySchema, req.query);
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await findEvents(ctx.db, orgId, filter, { after, limit: limit + 1, order: 'newest' });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({
      data: page.map(viewOf),
      nextCursor: rows.length > limit && last ? encodeCursor({ time: last.time, id: last.id }) : null,
    });
  });

  router.get('/api/v1/audit-events/export', ...door('export'), async (req, res) => {
    const { principal, orgId } = authorizedChain(req, 'export');
    const { format, ...filter } = parseQuery(exportQuerySchema, req.query);
    // Recorded before the first byte: an export that is cut short was still an export.
    ctx.audit.publish({
      action: 'audit.exported',
      orgId,
      actor: auditActorOf(principal),
      outcome: 'success',
      details: { format, filters: describeFilter(filter) },
      target: { type: 'audit_events', id: orgId ?? 'platform' },
      ...requestMeta(req),
    });
    const stamp = ctx.clock().toISOString().slice(0, 19).replaceAll(':', '-');
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="audit-events-${stamp}.${format}"`);
    try {
      if (format === 'csv' && !(await write(res, csvLine(CSV_COLUMNS)))) return;
      for await (const record of eachEvent(ctx.db, orgId, filter)) {
        const view = viewOf(record);
        const line = format === 'csv' ? csvLine(csvValues(view)) : `${JSON.stringify(view)}\n`;
        if (!(await write(res, line))) return;
      }
      res.end();
    } catch (e) {
      // Headers are gone: the only honest signal left is a broken stream.
      ctx.logger.error({ err: (e as Error).message }, 'audit export failed mid-stream');
      res.destroy();
    }
  });

  router.get('/api/v1/audit-events/verify', ...door('read'), async (req, res) => {
    const { orgId } = authorizedChain(req, 'read');
    res.json(await verifyChain(await chainStart(ctx.db, orgId), chainRows(ctx.db, orgId)));
  });

  return router;
}
