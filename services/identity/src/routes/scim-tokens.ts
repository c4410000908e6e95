// SCIM tokens for the org's IdP (owners/admins), under the SSO settings.
//   POST   /api/v1/sso/scim-tokens      create; the token is in this response only
//   GET    /api/v1/sso/scim-tokens      list (prefix, created, revoked)
//   DELETE /api/v1/sso/scim-tokens/:id  revoke
import { Router, type Request } from 'express';
import { principalOf } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { may } from '../domain/access.js';
import { principalEvent } from '../domain/audit.js';
import { identityErrors } from '../errors.js';
import { insertScimToken, listScimTokens, revokeScimToken, scimTokenView } from '../store/scim-tokens.js';

export function scimTokenRoutes(ctx: IdentityContext): Router {
  const router = Router();

  function orgFor(req: Request, action: 'create' | 'read' | 'delete') {
    const p = principalOf(req);
    if (!p.orgId) throw identityErrors.noOrg();
    if (!may(p, action, 'ScimToken', { orgId: p.orgId }))
      throw identityErrors.forbidden('manage SCIM tokens');
    return { p, orgId: p.orgId };
  }

  router.post('/api/v1/sso/scim-tokens', ctx.sessionOnly, async (req, res) => {
    const { p, orgId } = orgFor(req, 'create');
    const { row, token } = await insertScimToken(ctx.db, orgId);
    ctx.audit.publish(principalEvent(req, p, 'token.created', {}, { type: 'scim_token', id: row.id }));
    res.status(201).json({ ...scimTokenView(row), token });
  });

  router.get('/api/v1/sso/scim-tokens', ctx.anyCredential, async (req, res) => {
    const { orgId } = orgFor(req, 'read');
    res.json({ data: (await listScimTokens(ctx.db, orgId)).map(scimTokenView) });
  });

  router.delete('/api/v1/sso/scim-tokens/:id', ctx.anyCredential, async (req, res) => {
    const { p, orgId } = orgFor(req, 'delete');
    const id = z.uuid().safeParse(req.params.id);
    const count = id.success ? await revokeScimToken(ctx.db, orgId, id.data, ctx.clock()) : 0;
    if (count === 0) throw identityErrors.tokenNotFound();
    ctx.audit.publish(principalEvent(req, p, 'token.revoked', {}, { type: 'scim_token', id: id.data! }));
    res.status(204).end();
  });

  return router;
}
