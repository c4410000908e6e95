// /api/v1/orgs/:id/pending-owners: the platform admin names an org's first owners by email
// before they have an account. The first verified sign-in of that email through the org's
// own IdP makes them owner (identity's provisioning calls acceptPendingGrant). Expiring,
// revocable, audited as platform actions in the org's chain.
import type { Role } from '@airlock/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';
import { auditBase, requirePlatformAdmin } from './guards.js';
import { isUuid, parseBody } from './validation.js';

const createBody = z.strictObject({
  email: z
    .email()
    .max(320)
    .transform((e) => e.trim().toLowerCase()),
  /** Days until the grant lapses unused (default 7, at most 30). */
  expiresInDays: z.number().int().min(1).max(30).default(7),
});

const OWNER: Role = 'owner';

function domainAllowed(email: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return allowed.includes(domain);
}

export function pendingOwnerRoutes(ctx: RbacContext): Router {
  const router = Router();
  const platform = requirePlatformAdmin(ctx);

  async function orgOf(req: Request) {
    const id = req.params.id;
    const org = isUuid(id) ? await ctx.orgs.get(id) : null;
    if (!org) throw rbacErrors.orgNotFound();
    return org;
  }

  router.post('/api/v1/orgs/:id/pending-owners', platform, async (req, res) => {
    const org = await orgOf(req);
    const body = parseBody(createBody, req.body);
    if (org.status !== 'active') throw rbacErrors.orgSuspended();
    if (!domainAllowed(body.email, org.allowedEmailDomains)) throw rbacErrors.emailDomainNotAllowed();
    const expiresAt = new Date(Date.now() + body.expiresInDays * 86_400_000);
    const grant = await ctx.grants.create(org.id, body.email, OWNER, expiresAt);
    ctx.audit.publish({
      ...auditBase(req, org.id),
      action: 'member.invited',
      outcome: 'success',
      target: { type: 'pending_grant', id: grant.id },
      details: { role: OWNER, expiresAt: grant.expiresAt.toISOString() },
    });
    res.status(201).json(grant);
  });

  router.get('/api/v1/orgs/:id/pending-owners', platform, async (req, res) => {
    const org = await orgOf(req);
    const grants = await ctx.grants.list(org.id);
    res.json({ data: grants.filter((g) => g.role === OWNER) });
  });

  router.delete('/api/v1/orgs/:id/pending-owners/:grantId', platform, async (req, res) => {
    const org = await orgOf(req);
    const grantId = req.params.grantId;
    const grant = isUuid(grantId) ? await ctx.grants.revoke(org.id, grantId, new Date()) : null;
    if (!grant) throw rbacErrors.grantNotFound();
    ctx.audit.publish({
      ...auditBase(req, org.id),
      action: 'member.invitation_revoked',
      outcome: 'success',
      target: { type: 'pending_grant', id: grant.id },
      details: { role: grant.role },
    });
    res.status(204).end();
  });

  return router;
}
