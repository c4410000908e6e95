// /api/v1/members: an org's members and their roles. The org is always the principal's.
import { abilityOf, isAirlockError, ROLES, type AuditDetails, type Role } from '@airlock/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { assertMayAdd, assertMayChangeRole, assertMayRemove, type Actor } from '../domain/members.js';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';
import { orgDoor } from './doors.js';
import { INVITATION_DAYS, invitationRoutes, invitationView, invite } from './invitations.js';
import { auditBase, orgPrincipalOf } from './request.js';
import { isUuid, parseBody } from './validation.js';

const role = z.enum(ROLES);

const addBody = z
  .strictObject({
    userId: z.uuid().optional(),
    email: z.email().max(320).optional(),
    role,
    /** Days the invitation stays open (default 7, at most 30). */
    expiresInDays: z.number().int().min(1).max(30).default(INVITATION_DAYS),
  })
  .refine((b) => (b.userId === undefined) !== (b.email === undefined), {
    message: 'give exactly one of userId or email',
    path: ['userId'],
  });

const changeBody = z.strictObject({ role });

function actorOf(req: Request): Actor {
  const p = orgPrincipalOf(req);
  return { orgId: p.orgId, userId: p.userId, ability: abilityOf(req) };
}

/** A user id from the path; anything else cannot name a member of this org. */
function targetId(req: Request): string {
  const id = req.params.userId;
  if (!isUuid(id)) throw rbacErrors.memberNotFound();
  return id;
}

/** Refused before any lookup, in the member list's words: nothing learnt from the answer. */
const mayNotList = () => rbacErrors.forbidden('list the members of this organisation');

export function memberRoutes(ctx: RbacContext): Router {
  const router = Router();
  // Who may not read (or add, change, remove) any member at all is refused by the door;
  // the rules for the one member named follow in the handler (domain/members.ts).
  const door = (action: 'read' | 'create' | 'update' | 'delete') =>
    orgDoor(ctx, action, 'Member', mayNotList);
  // Before /api/v1/members/:userId, which would take "invitations" for an id.
  router.use(invitationRoutes(ctx, actorOf));

  /**
   * Audits an attempt the rules refused (an admin reaching above their role, a change of
   * one's own role, the last owner) as outcome "denied". Callers who may not add, change or
   * remove any member are refused by the door before any lookup: no target to record.
   */
  function refused<A extends 'member.added' | 'member.removed' | 'member.role_changed'>(
    req: Request,
    actor: Actor,
    error: unknown,
    action: A,
    userId: string | undefined,
    details: AuditDetails<A>,
  ): void {
    // By status: the specific codes (self_change, last_owner, …) refine forbidden and conflict.
    if (!isAirlockError(error) || (error.status !== 403 && error.status !== 409)) return;
    ctx.audit.publish({
      ...auditBase(req, actor.orgId),
      action,
      outcome: 'denied',
      target: userId ? { type: 'user', id: userId } : null,
      details,
    });
  }

  router.get('/api/v1/members', ...door('read'), async (req, res) => {
    const actor = actorOf(req);
    res.json({ data: await ctx.members.list(actor.orgId) });
  });

  router.get('/api/v1/members/:userId', ...door('read'), async (req, res) => {
    const actor = actorOf(req);
    const member = await ctx.members.get(actor.orgId, targetId(req));
    if (!member) throw rbacErrors.memberNotFound();
    res.json(member);
  });

  // Nobody is attached to the org by this route: a person who is not yet a member gets an
  // invitation (routes/invitations.ts) that only their own sign-in through this org's IdP, or
  // the org's SCIM, completes. The answer depends only on this org's own members and
  // invitations, never on whether the email or id exists in another tenant.
  router.post('/api/v1/members', ...door('create'), async (req, res) => {
    const actor = actorOf(req);
    const body = parseBody(addBody, req.body);
    try {
      // Someone new (no user id): the check is about the role granted, not a person.
      assertMayAdd(actor, undefined, body.role);
    } catch (e) {
      refused(req, actor, e, 'member.added', body.userId, { role: body.role });
      throw e;
    }
    if (body.userId !== undefined) {
      // The org knows users only as its members; any other id is unknown, whatever it names.
      if (await ctx.members.get(actor.orgId, body.userId)) throw rbacErrors.alreadyMember();
      throw rbacErrors.inviteByEmail();
    }
    const email = body.email!.trim().toLowerCase();
    if (await ctx.members.byEmail(actor.orgId, email)) throw rbacErrors.alreadyMember();
    const grant = await invite(ctx, req, actor, email, body.role, body.expiresInDays);
    res.status(202).json(invitationView(grant));
  });

  router.patch('/api/v1/members/:userId', ...door('update'), async (req, res) => {
    const actor = actorOf(req);
    const userId = targetId(req);
    const { role: newRole } = parseBody(changeBody, req.body);
    let seen: Role | undefined;
    const { before, member } = await ctx.members
      .changeRole(actor.orgId, userId, newRole, (target, owners) => {
        seen = target.role;
        assertMayChangeRole(actor, target, newRole, owners);
      })
      .catch((e: unknown) => {
        if (seen) refused(req, actor, e, 'member.role_changed', userId, { before: seen, after: newRole });
        throw e;
      });
    if (before !== newRole) {
      ctx.audit.publish({
        ...auditBase(req, actor.orgId),
        action: 'member.role_changed',
        outcome: 'success',
        target: { type: 'user', id: userId },
        details: { before, after: newRole },
      });
      // Every replica must see the new role now, not when its cache expires.
      await ctx.access.resolver.invalidate({ type: 'user', id: userId });
    }
    res.json(member);
  });

  router.delete('/api/v1/members/:userId', ...door('delete'), async (req, res) => {
    const actor = actorOf(req);
    const userId = targetId(req);
    let seen: Role | undefined;
    const role: Role = await ctx.members
      .remove(actor.orgId, userId, (target, owners) => {
        seen = target.role;
        assertMayRemove(actor, target, owners);
      })
      .catch((e: unknown) => {
        if (seen) refused(req, actor, e, 'member.removed', userId, { role: seen });
        throw e;
      });
    ctx.audit.publish({
      ...auditBase(req, actor.orgId),
      action: 'member.removed',
      outcome: 'success',
      target: { type: 'user', id: userId },
      details: { role },
    });
    await ctx.access.resolver.invalidate({ type: 'user', id: userId });
    res.status(204).end();
  });

  return router;
}
