// /api/v1/orgs/:id/pending-owners: the platform admin names an org's first owners by email
// before they have an account. The first verified sign-in of that email through the org's
// own IdP makes them owner (identity's provisioning calls acceptPendingGrant). Expiring,
// revocable, audited as platform actions in the org's chain.
import type { Role } from '@airlock/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';
import { emailDomainAllowed } from '../domain/members.js';
import { platformDoors } from './doors.js';
import { grantInvitation, revokeInvitation } from './invitations.js';
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

export function pendingOwnerRoutes(ctx: RbacContext): Router {
  const router = Router();
  // Naming an org's owners is part of running the org: the platform's 'update Org'.
  const platform = platformDoors(ctx);

  async function orgOf(req: Request) {
    const id = req.params.id;
    const org = isUuid(id) ? await ctx.orgs.get(id) : null;
    if (!org) throw rbacErrors.orgNotFound();
    return org;
  }

  router.post('/api/v1/orgs/:id/pending-owners', ...platform('update'), async (req, res) => {
    const org = await orgOf(req);
    const body = parseBody(createBody, req.body);
    if (org.status !== 'active') throw rbacErrors.orgSuspended();
    if (!emailDomainAllowed(body.email, org.allowedEmailDomains)) throw rbacErrors.emailDomainNotAllowed();
    res.status(201).json(await grantInvitation(ctx, req, org.id, body.email, OWNER, body.expiresInDays));
  });

  router.get('/api/v1/orgs/:id/pending-owners', ...platform('read'), async (req, res) => {
    const org = await orgOf(req);
    const grants = await ctx.grants.list(org.id);
    res.json({ data: grants.filter((g) => g.role === OWNER) });
  });

  router.delete('/api/v1/orgs/:id/pending-owners/:grantId', ...platform('update'), async (req, res) => {
    const org = await orgOf(req);
    if (!(await revokeInvitation(ctx, req, org.id, req.params.grantId))) throw rbacErrors.grantNotFound();
    res.status(204).end();
  });

  return router;
}
