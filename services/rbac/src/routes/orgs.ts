// /api/v1/orgs: the platform admin creates, lists and suspends orgs; a member reads their
// own org at /api/v1/orgs/current.
import { assertCan, type Role } from '@airlock/common';
import { Router } from 'express';
import { z } from 'zod';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';
import { orgDoor, platformDoors } from './doors.js';
import { auditBase, orgPrincipalOf } from './request.js';
import { isUuid, parseBody } from './validation.js';

const domain = z
  .string()
  .max(253)
  .transform((d) => d.trim().toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'must be a domain like example.com',
      ),
  );

const createOrgBody = z
  .strictObject({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, '2-63 lower-case letters, digits and dashes'),
    name: z.string().trim().min(1).max(200),
    allowedEmailDomains: z.array(domain).max(50).default([]),
    /** The first owner, by user id or email (the user must exist). */
    ownerUserId: z.uuid().optional(),
    ownerEmail: z.email().max(320).optional(),
  })
  .refine((b) => !(b.ownerUserId && b.ownerEmail), {
    message: 'give ownerUserId or ownerEmail, not both',
    path: ['ownerEmail'],
  });

const updateOrgBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    allowedEmailDomains: z.array(domain).max(50).optional(),
  })
  .refine((b) => b.name !== undefined || b.allowedEmailDomains !== undefined, {
    message: 'nothing to change',
    path: [],
  });

export function orgRoutes(ctx: RbacContext): Router {
  const router = Router();
  const platform = platformDoors(ctx);
  const readOwn = () => rbacErrors.forbidden('read this organisation');
  const changeOwn = () => rbacErrors.forbidden('change this organisation');

  // Before /:id, so "current" is never read as an id.
  router.get('/api/v1/orgs/current', ...orgDoor(ctx, 'read', 'Org', readOwn), async (req, res) => {
    const p = orgPrincipalOf(req);
    assertCan(req, 'read', 'Org', { id: p.orgId }, readOwn);
    const org = await ctx.orgs.own(p.orgId);
    if (!org) throw rbacErrors.orgNotFound();
    res.json(org);
  });

  // Owners rename their org and set its allowed email domains; slug and status are the
  // platform's. Existing members outside new domains stay (removing them is explicit).
  router.patch('/api/v1/orgs/current', ...orgDoor(ctx, 'update', 'Org', changeOwn), async (req, res) => {
    const p = orgPrincipalOf(req);
    assertCan(req, 'update', 'Org', { id: p.orgId }, changeOwn);
    const body = parseBody(updateOrgBody, req.body);
    const org = await ctx.orgs.updateOwn(p.orgId, body);
    if (!org) throw rbacErrors.orgNotFound();
    ctx.audit.publish({
      ...auditBase(req, p.orgId),
      action: 'org.updated',
      outcome: 'success',
      target: { type: 'org', id: p.orgId },
      details: { fields: Object.keys(body).sort() },
    });
    res.json(org);
  });

  router.post('/api/v1/orgs', ...platform('create'), async (req, res) => {
    const body = parseBody(createOrgBody, req.body);
    let ownerUserId: string | undefined;
    if (body.ownerUserId || body.ownerEmail) {
      const user = body.ownerUserId
        ? await ctx.users.byId(body.ownerUserId)
        : await ctx.users.byEmail(body.ownerEmail!);
      if (!user || user.status !== 'active') throw rbacErrors.userNotFound();
      ownerUserId = user.id;
    }
    const org = await ctx.orgs.create({ ...body, ownerUserId });
    ctx.audit.publish({
      ...auditBase(req, org.id),
      action: 'org.created',
      outcome: 'success',
      target: { type: 'org', id: org.id },
      details: { slug: org.slug },
    });
    if (ownerUserId) {
      ctx.audit.publish({
        ...auditBase(req, org.id),
        action: 'member.added',
        outcome: 'success',
        target: { type: 'user', id: ownerUserId },
        details: { role: 'owner' satisfies Role },
      });
      await ctx.access.resolver.invalidate({ type: 'user', id: ownerUserId });
    }
    res.status(201).json(org);
  });

  router.get('/api/v1/orgs', ...platform('read'), async (_req, res) => {
    res.json({ data: await ctx.orgs.list() });
  });

  router.get('/api/v1/orgs/:id', ...platform('read'), async (req, res) => {
    const id = req.params.id;
    const org = isUuid(id) ? await ctx.orgs.get(id) : null;
    if (!org) throw rbacErrors.orgNotFound();
    res.json(org);
  });

  // Suspension cuts every session and token of the org at once: the resolver drops its
  // cache here and, through Redis, on every replica; the next lookup sees the status.
  router.post('/api/v1/orgs/:id/suspend', ...platform('update'), async (req, res) => {
    const id = req.params.id;
    const before = isUuid(id) ? await ctx.orgs.setStatus(id, 'suspended') : null;
    if (!before) throw rbacErrors.orgNotFound();
    await ctx.access.resolver.invalidate({ type: 'org', id: id as string });
    if (before !== 'suspended') {
      ctx.audit.publish({
        ...auditBase(req, id as string),
        action: 'org.suspended',
        outcome: 'success',
        target: { type: 'org', id: id as string },
        details: {},
      });
    }
    res.json(await ctx.orgs.get(id as string));
  });

  router.post('/api/v1/orgs/:id/activate', ...platform('update'), async (req, res) => {
    const id = req.params.id;
    const before = isUuid(id) ? await ctx.orgs.setStatus(id, 'active') : null;
    if (!before) throw rbacErrors.orgNotFound();
    await ctx.access.resolver.invalidate({ type: 'org', id: id as string });
    if (before !== 'active') {
      ctx.audit.publish({
        ...auditBase(req, id as string),
        action: 'org.updated',
        outcome: 'success',
        target: { type: 'org', id: id as string },
        details: { fields: ['status'] },
      });
    }
    res.json(await ctx.orgs.get(id as string));
  });

  return router;
}
