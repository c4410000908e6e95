// /api/v1/members/invitations: what POST /api/v1/members creates for anyone who is not yet a
// member of the org. An invitation is a pending grant (store/pending-grants.ts): it names an
// email and a role, expires, and only that person's own verified sign-in through this org's
// IdP (or the org's SCIM for an email in its claimed domains) turns it into a membership.
// Owners and admins list them; revoking one needs the right to grant its role (admins: member and
// viewer invitations only). Each step is audited.
import type { Role } from '@airlock/common';
import { Router, type Request } from 'express';
import { assertMayAdd, emailDomainAllowed, type Actor } from '../domain/members.js';
import { rbacErrors } from '../errors.js';
import { grantState, type PendingGrantRecord } from '../store/pending-grants.js';
import type { RbacContext } from './context.js';
import { orgDoor } from './doors.js';
import { auditBase } from './request.js';
import { isUuid } from './validation.js';

/** Days an invitation stays open unless the request says otherwise (at most 30). */
export const INVITATION_DAYS = 7;

export function invitationView(grant: PendingGrantRecord, now = new Date()) {
  return {
    id: grant.id,
    email: grant.email,
    role: grant.role,
    state: grantState(grant, now),
    expiresAt: grant.expiresAt,
    createdAt: grant.createdAt,
    acceptedAt: grant.acceptedAt,
  };
}

/**
 * Invites `email` into the actor's org with `role`. The caller has already checked the role
 * is one the actor may grant and that the email is no member of this org. What is looked at
 * here is only the email's text and this org's own invitations, never whether an account
 * with this email exists anywhere: the answer is the same for a stranger, another tenant's
 * user and the break-glass account (who can still never accept one).
 */
export async function invite(
  ctx: RbacContext,
  req: Request,
  actor: Actor,
  email: string,
  role: Role,
  days: number,
) {
  const org = await ctx.orgs.own(actor.orgId);
  if (!org) throw rbacErrors.orgNotFound();
  if (!emailDomainAllowed(email, org.allowedEmailDomains)) throw rbacErrors.emailDomainNotAllowed();
  return grantInvitation(ctx, req, actor.orgId, email, role, days);
}

/**
 * Creates the pending grant and audits it: the one way an invitation comes to be, for an
 * org's owners and admins (invite above) and for the platform's pending owners alike.
 */
export async function grantInvitation(
  ctx: RbacContext,
  req: Request,
  orgId: string,
  email: string,
  role: Role,
  days: number,
): Promise<PendingGrantRecord> {
  const grant = await ctx.grants.create(orgId, email, role, new Date(Date.now() + days * 86_400_000));
  ctx.audit.publish({
    ...auditBase(req, orgId),
    action: 'member.invited',
    outcome: 'success',
    target: { type: 'pending_grant', id: grant.id },
    details: { role, expiresAt: grant.expiresAt.toISOString() },
  });
  return grant;
}

/** Revokes an open grant of this org and audits it; null when there is no such open grant. */
export async function revokeInvitation(
  ctx: RbacContext,
  req: Request,
  orgId: string,
  id: unknown,
): Promise<PendingGrantRecord | null> {
  const grant = isUuid(id) ? await ctx.grants.revoke(orgId, id, new Date()) : null;
  if (!grant) return null;
  ctx.audit.publish({
    ...auditBase(req, orgId),
    action: 'member.invitation_revoked',
    outcome: 'success',
    target: { type: 'pending_grant', id: grant.id },
    details: { role: grant.role },
  });
  return grant;
}

export function invitationRoutes(ctx: RbacContext, actorOf: (req: Request) => Actor): Router {
  const router = Router();
  // Owners and admins (whoever may add a member at all) see invitations; revoking checks the role too.
  const door = orgDoor(ctx, 'create', 'Member', () => rbacErrors.forbidden('add members with role viewer'));

  router.get('/api/v1/members/invitations', ...door, async (req, res) => {
    const actor = actorOf(req);
    const now = new Date();
    res.json({ data: (await ctx.grants.list(actor.orgId)).map((g) => invitationView(g, now)) });
  });

  router.get('/api/v1/members/invitations/:id', ...door, async (req, res) => {
    const actor = actorOf(req);
    const id = req.params.id;
    const grant = isUuid(id) ? await ctx.grants.get(actor.orgId, id) : null;
    if (!grant) throw rbacErrors.grantNotFound();
    res.json(invitationView(grant));
  });

  router.delete('/api/v1/members/invitations/:id', ...door, async (req, res) => {
    const actor = actorOf(req);
    const id = req.params.id;
    const open = isUuid(id) ? await ctx.grants.get(actor.orgId, id) : null;
    if (!open || grantState(open, new Date()) !== 'open') throw rbacErrors.grantNotFound();
    // Revoking needs the right to grant the invited role: an admin cannot cancel an owner's
    // invitation of another owner (nor the platform's pending owner).
    assertMayAdd(actor, undefined, open.role);
    if (!(await revokeInvitation(ctx, req, actor.orgId, open.id))) throw rbacErrors.grantNotFound();
    res.status(204).end();
  });

  return router;
}
