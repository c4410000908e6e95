// GET /api/v1/me: who the caller is, in which org, with which role, until when.
import { Router } from 'express';
import { principalOf } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { identityErrors } from '../errors.js';

export function meRoutes(ctx: IdentityContext): Router {
  const router = Router();
  // Reading who you are is reading your own credential: every principal with a user may,
  // in an org or (a platform admin session) without one.
  const readOwn = ctx.access.authorize('read', 'Session', { scope: 'org-or-platform' });
  router.get('/api/v1/me', ctx.anyCredential, readOwn, async (req, res) => {
    const p = principalOf(req);
    if (!p.userId) throw identityErrors.unauthenticated();
    const user = await ctx.db.prisma.user.findUnique({ where: { id: p.userId } });
    if (!user) throw identityErrors.unauthenticated();
    const org = p.orgId ? await ctx.db.forOrg(p.orgId).org.findUnique({ where: { id: p.orgId } }) : null;
    let session: { id: string; idleExpiresAt: string; absoluteExpiresAt: string } | null = null;
    if (p.sessionId) {
      const row = await ctx.db.system.session.findUnique({ where: { id: p.sessionId } });
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
