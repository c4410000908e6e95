// Sign-out and session revocation.
//   POST   /auth/logout                  ends the caller's own session
//   DELETE /auth/users/:userId/sessions  an owner (anyone's) or admin (a non-owner's) ends every session of a user of their org
import { Router } from 'express';
import { AirlockError, isCrossSite, principalOf } from '@airlock/common';
import { may } from '../domain/access.js';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { principalEvent, requestMeta } from './audit-event.js';
import { revokeAllSessions } from '../domain/sessions.js';
import { signOut } from './session-cookie.js';
import { identityErrors } from '../errors.js';
import { roleInOrg } from '../store/member-roles.js';

const userIdParam = z.uuid();

export function sessionRoutes(ctx: IdentityContext): Router {
  const router = Router();

  router.post('/auth/logout', async (req, res) => {
    // Logout CSRF: another site must not end the user's session (the cookie rides along).
    if (isCrossSite(req)) throw new AirlockError('cross_site_refused', 'cross-site request refused');
    const session = await signOut(ctx, req, res);
    if (session) {
      ctx.audit.publish({
        action: 'auth.logout',
        orgId: session.orgId,
        actor: { type: 'user', id: session.userId, email: null },
        outcome: 'success',
        details: {},
        target: { type: 'session', id: session.id },
        ...requestMeta(req),
      });
    }
    res.status(204).end();
  });

  router.delete('/auth/users/:userId/sessions', ctx.anyCredential, async (req, res) => {
    const p = principalOf(req);
    const parsed = userIdParam.safeParse(req.params.userId);
    if (!parsed.success) throw identityErrors.invalid([{ path: ['userId'], message: 'must be a UUID' }]);
    const userId = parsed.data;
    // A platform admin without an org revokes everywhere; anyone else only inside their org.
    const orgId = p.isPlatformAdmin && !p.orgId ? null : p.orgId;
    if (orgId === null && !p.isPlatformAdmin) throw identityErrors.noOrg();
    // Whose sessions these are decides who may end them: an owner's, only an owner.
    // A non-member holds no power here (answered like anyone else's: nothing to revoke).
    const userRole = orgId ? ((await roleInOrg(ctx.db, orgId, userId)) ?? 'member') : null;
    if (!may(p, 'delete', 'Session', { orgId: orgId ?? '', userId, userRole })) {
      throw identityErrors.forbidden("revoke this user's sessions");
    }
    const count = await revokeAllSessions(ctx, userId, orgId);
    ctx.audit.publish(principalEvent(req, p, 'session.revoked', { count }, { type: 'user', id: userId }));
    res.json({ revoked: count });
  });

  return router;
}
