// /api/v1/members: an org's members and their roles. The org is always the principal's.
import { isAirlockError, type AuditDetails, type Role } from '@airlock/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import {
  assertMayAdd,
  assertMayChangeRole,
  assertMayListMembers,
  assertMayRemove,
  emailDomainAllowed,
  type Actor,
} from '../domain/members.js';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';
import { abilityOf, auditBase, orgPrincipalOf } from './guards.js';
import { isUuid, parseBody } from './validation.js';

const role = z.enum(['owner', 'admin', 'member', 'viewer']);

const addBody = z
  .strictObject({ userId: z.uuid().optional(), email: z.email().max(320).optional(), role })
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

export function memberRoutes(ctx: RbacContext): Router {
  const router = Router();

  /**
   * Audits an attempt the rules refused (an admin reaching above their role, a change of
   * one's own role, the last owner) as outcome "denied". Callers who may not even list
   * members are refused before any lookup, so there is no target to record for them.
   */
  function refused<A extends 'member.added' | 'member.removed' | 'member.role_changed'>(
    req: Request,
    actor: Actor,
    error: unknown,
    action: A,
    userId: string | undefined,
    details: AuditDetails<A>,
  ): void {
    if (!isAirlockError(error) || (error.code !== 'forbidden' && error.code !== 'conflict')) return;
    ctx.audit.publish({
      ...auditBase(req, actor.orgId),
      action,
      outcome: 'denied',
      target: userId ? { type: 'user', id: userId } : null,
      details,
    });
  }

  router.get('/api/v1/members', async (req, res) => {
    const actor = actorOf(req);
    assertMayListMembers(actor);
    res.json({ data: await ctx.members.list(actor.orgId) });
  });

  router.get('/api/v1/members/:userId', async (req, res) => {
    const actor = actorOf(req);
    assertMayListMembers(actor);
    const member = await ctx.members.get(actor.orgId, targetId(req));
    if (!member) throw rbacErrors.memberNotFound();
    res.json(member);
  });

  router.post('/api/v1/members', async (req, res) => {
    const actor = actorOf(req);
    // Those who cannot see the member list learn nothing from a mutation's 404 either.
    assertMayListMembers(actor);
    const body = parseBody(addBody, req.body);
    // Another tenant's user or the break-glass account looks exactly like an unknown one.
    const user = await ctx.users.addable(
      actor.orgId,
      body.userId ? { id: body.userId } : { email: body.email! },
    );
    // Checked before the user lookup's result is revealed, so a caller without the right
    // learns nothing about which users exist.
    try {
      assertMayAdd(actor, user?.id ?? body.userId ?? '00000000-0000-0000-0000-000000000000', body.role);
    } catch (e) {
      refused(req, actor, e, 'member.added', user?.id ?? body.userId, { role: body.role });
      throw e;
    }
    if (!user || user.status !== 'active') throw rbacErrors.userNotFound();
    const org = await ctx.orgs.own(actor.orgId);
    if (!org) throw rbacErrors.orgNotFound();
    if (!emailDomainAllowed(user.email, org.allowedEmailDomains)) throw rbacErrors.emailDomainNotAllowed();
    const member = await ctx.members.add(actor.orgId, user.id, body.role);
    ctx.audit.publish({
      ...auditBase(req, actor.orgId),
      action: 'member.added',
      outcome: 'success',
      target: { type: 'user', id: user.id },
      details: { role: body.role },
    });
    // A credential looked up before the membership existed may be cached as "no access".
    await ctx.resolver.invalidate({ type: 'user', id: user.id });
    res.status(201).json(member);
  });

  router.patch('/api/v1/members/:userId', async (req, res) => {
    const actor = actorOf(req);
    assertMayListMembers(actor);
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
      await ctx.resolver.invalidate({ type: 'user', id: userId });
    }
    res.json(member);
  });

  router.delete('/api/v1/members/:userId', async (req, res) => {
    const actor = actorOf(req);
    assertMayListMembers(actor);
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
    await ctx.resolver.invalidate({ type: 'user', id: userId });
    res.status(204).end();
  });

  return router;
}
