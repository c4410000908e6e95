// Sign-out and session revocation.
//   POST   /auth/logout                  ends the caller's own session
//   DELETE /auth/users/:userId/sessions  an owner (anyone's) or admin (a non-owner's) ends every session of a user of their org
import { Router } from 'express';
import { AirlockError, assertCan, isCrossSite, principalOf, publicRoute } from '@airlock/common';
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

  // The cookie is the only credential: without one there is nothing to end.
  const ownCookie = publicRoute('ends the session its own cookie names (none: nothing to end)');
  router.post('/auth/logout', ownCookie, async (req, res) => {
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

  const refused = () => identityErrors.forbidden("revoke this user's sessions");
  router.delete(
    '/auth/users/:userId/sessions',
    ctx.anyCredential,
    // An org-less platform admin session may end its own user's sessions (abilities.ts).
    ctx.access.authorize('delete', 'Session', { scope: 'org-or-platform', refuse: refused }),
    async (req, res) => {
      const p = principalOf(req);
      const parsed = userIdParam.safeParse(req.params.userId);
      if (!parsed.success) throw identityErrors.invalid([{ path: ['userId'], message: 'must be a UUID' }]);
      const userId = parsed.data;
      // Where: inside the caller's org; an org-less principal (the ability admits only a
      // platform admin, for their own sessions) names no org, and ends them everywhere.
      const orgId = p.orgId;
      // Whose sessions these are decides who may end them: an owner's, only an owner.
      // A non-member holds no power here (answered like anyone else's: nothing to revoke).
      const session = orgId
        ? { orgId, userId, userRole: (await roleInOrg(ctx.db, orgId, userId)) ?? 'member' }
        : { userId, userRole: null };
      assertCan(req, 'delete', 'Session', session, refused);
      const count = await revokeAllSessions(ctx, userId, orgId);
      ctx.audit.publish(principalEvent(req, p, 'session.revoked', { count }, { type: 'user', id: userId }));
      res.json({ revoked: count });
    },
  );

  return router;
}
