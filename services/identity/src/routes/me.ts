// GET /api/v1/me: who the caller is, in which org, with which role, until when.
import { Router } from 'express';
import { principalOf } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { identityErrors } from '../errors.js';
import { findOwnOrg } from '../store/orgs.js';
import { findSession } from '../store/sessions.js';
import { findUser } from '../store/users.js';

export function meRoutes(ctx: IdentityContext): Router {
  const router = Router();
  // Reading who you are is reading your own credential: every principal with a user may,
  // in an org or (a platform admin session) without one.
  const readOwn = ctx.access.authorize('read', 'Session', { scope: 'org-or-platform' });
  router.get('/api/v1/me', ctx.anyCredential, readOwn, async (req, res) => {
    const p = principalOf(req);
    if (!p.userId) throw identityErrors.unauthenticated();
    const user = await findUser(ctx.db, p.userId);
    if (!user) throw identityErrors.unauthenticated();
    const org = p.orgId ? await findOwnOrg(ctx.db, p.orgId) : null;
    let session: { id: string; idleExpiresAt: string; absoluteExpiresAt: string } | null = null;
    if (p.sessionId) {
      const row = await findSession(ctx.db, p.sessionId);
      if (row) {
        session = {
          id: row.id,
          idleExpiresAt: row.idleExpiresAt.toISOString(),
          absoluteExpiresAt: row.absoluteExpiresAt.toISOString(),
        };
      }
    }
    res.json({
      user: { id: user.id, email: user.email, name: user.name },
      org: org ? { id: org.id, slug: org.slug, name: org.name } : null,
      role: p.role,
      isPlatformAdmin: p.isPlatformAdmin,
      credential: p.kind,
      tokenId: p.tokenId ?? null,
      expiresAt: p.expiresAt?.toISOString() ?? null,
      session,
    });
  });
  return router;
}
