// SCIM tokens for the org's IdP (owners manage, admins read), under the SSO settings.
//   POST   /api/v1/sso/scim-tokens      create; the token is in this response only
//   GET    /api/v1/sso/scim-tokens      list (prefix, created, revoked)
//   DELETE /api/v1/sso/scim-tokens/:id  revoke
// The platform admin (the bootstrap token or a break-glass session) does the same for any org
// under /api/v1/sso/orgs/:orgId/scim-tokens, so a new org's directory sync can be set up
// before it has an owner. Audited in that org's chain with the platform admin as actor.
import { Router, type Request, type RequestHandler } from 'express';
import { principalOf } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { principalEvent } from './audit-event.js';
import { identityErrors } from '../errors.js';
import { insertScimToken, listScimTokens, revokeScimToken, scimTokenView } from '../store/scim-tokens.js';
import { platformOrg } from './platform-org.js';

const OWN = '/api/v1/sso/scim-tokens';
const PLATFORM = '/api/v1/sso/orgs/:orgId/scim-tokens';

export function scimTokenRoutes(ctx: IdentityContext): Router {
  const router = Router();

  /** The org the route acts on: the one the platform path names, else the caller's own. */
  async function orgFor(req: Request, action: 'create' | 'read' | 'delete') {
    const p = principalOf(req);
    const named = await platformOrg(ctx, req, action);
    // authorize() admitted the caller to the SCIM tokens of their own org (scope 'org').
    return { p, orgId: named ?? p.orgId! };
  }

  const create: RequestHandler = async (req, res) => {
    const { p, orgId } = await orgFor(req, 'create');
    const { row, token } = await insertScimToken(ctx.db, orgId);
    ctx.audit.publish({
      ...principalEvent(req, p, 'token.created', {}, { type: 'scim_token', id: row.id }),
      orgId,
    });
    res.status(201).json({ ...scimTokenView(row), token });
  };

  const list: RequestHandler = async (req, res) => {
    const { orgId } = await orgFor(req, 'read');
    res.json({ data: (await listScimTokens(ctx.db, orgId)).map(scimTokenView) });
  };

  const revoke: RequestHandler = async (req, res) => {
    const { p, orgId } = await orgFor(req, 'delete');
    const id = z.uuid().safeParse(req.params.id);
    const count = id.success ? await revokeScimToken(ctx.db, orgId, id.data, ctx.clock()) : 0;
    if (count === 0) throw identityErrors.tokenNotFound();
    ctx.audit.publish({
      ...principalEvent(req, p, 'token.revoked', {}, { type: 'scim_token', id: id.data! }),
      orgId,
    });
    res.status(204).end();
  };

  const { authorize } = ctx.access;
  const refuse = () => identityErrors.forbidden('manage SCIM tokens');
  const platform = (action: 'create' | 'read' | 'delete') =>
    authorize(action, 'ScimToken', { scope: 'platform' });
  // An org creates SCIM tokens from a browser session only (no credential minted from a token).
  router.post(OWN, ctx.sessionOnly, authorize('create', 'ScimToken', { refuse }), create);
  router.get(OWN, ctx.anyCredential, authorize('read', 'ScimToken', { refuse }), list);
  router.delete(`${OWN}/:id`, ctx.anyCredential, authorize('delete', 'ScimToken', { refuse }), revoke);
  router.post(PLATFORM, ctx.platformAdmin, platform('create'), create);
  router.get(PLATFORM, ctx.platformAdmin, platform('read'), list);
  router.delete(`${PLATFORM}/:id`, ctx.platformAdmin, platform('delete'), revoke);

  return router;
}
