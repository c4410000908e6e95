// API tokens for tools and IDEs.
//   POST   /api/v1/tokens             create (session only); the secret is in this response only
//   GET    /api/v1/tokens[?all=true]  own tokens; all=true: every token of the org (owners, admins)
//   DELETE /api/v1/tokens/:id         revoke (own; owners: any in their org; admins: a non-owner's)
//   POST   /api/v1/tokens/:id/rotate  new secret (session only, own token only), optional grace for the old one
// Who may do which to whose token is the shared ability's; an unknown token and one out of the
// caller's reach get the same 404 (no probing).
import { Router } from 'express';
import { assertCan, noOrgError, principalOf, type Principal } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { principalEvent } from './audit-event.js';
import {
  checkGraceSeconds,
  createToken,
  listOrgTokens,
  loadToken,
  revokeToken,
  rotateToken,
} from '../domain/tokens.js';
import { identityErrors } from '../errors.js';

const createBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\p{L}\p{N} ._:@()/-]+$/u, 'letters, digits, spaces and ._:@()/- only'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
const rotateBody = z.strictObject({ graceSeconds: z.number().int().min(0).default(0) });
const idParam = z.uuid();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw identityErrors.invalid(result.error.issues);
  }
  return result.data;
}

function tokenId(value: unknown): string {
  // A malformed id cannot name a token: same answer as an unknown one.
  const result = idParam.safeParse(value);
  if (!result.success) throw identityErrors.tokenNotFound();
  return result.data;
}

/** authorize() has run: an org-bound principal, which every token credential's user is. */
function ownerOf(p: Principal): { orgId: string; userId: string } {
  if (!p.orgId || !p.userId) throw noOrgError();
  return { orgId: p.orgId, userId: p.userId };
}

export function tokenRoutes(ctx: IdentityContext): Router {
  const router = Router();
  const { authorize } = ctx.access;
  const notFound = () => identityErrors.tokenNotFound();

  router.post(
    '/api/v1/tokens',
    ctx.sessionOnly,
    authorize('create', 'ApiToken', { refuse: () => identityErrors.forbidden('create API tokens') }),
    async (req, res) => {
      const p = principalOf(req);
      const body = parse(createBody, req.body);
      if (body.expiresInDays && body.expiresInDays > ctx.settings.AIRLOCK_TOKEN_MAX_DAYS) {
        throw identityErrors.invalid([
          { path: ['expiresInDays'], message: `must be at most ${ctx.settings.AIRLOCK_TOKEN_MAX_DAYS}` },
        ]);
      }
      const created = await createToken(ctx, ownerOf(p), body);
      ctx.audit.publish(
        principalEvent(req, p, 'token.created', created.expiresAt ? { expiresAt: created.expiresAt } : {}, {
          type: 'api_token',
          id: created.id,
        }),
      );
      res.status(201).json(created);
    },
  );

  router.get('/api/v1/tokens', ctx.anyCredential, authorize('read', 'ApiToken'), async (req, res) => {
    const { orgId, userId } = ownerOf(principalOf(req));
    if (req.query.all !== 'true') {
      res.json({ data: await listOrgTokens(ctx, orgId, userId) });
      return;
    }
    // A token of the org, whoever's: only the org-wide rule matches a subject without userId.
    assertCan(req, 'read', 'ApiToken', { orgId }, () =>
      identityErrors.forbidden("list other members' tokens"),
    );
    res.json({ data: await listOrgTokens(ctx, orgId, null) });
  });

  router.delete(
    '/api/v1/tokens/:id',
    ctx.anyCredential,
    authorize('delete', 'ApiToken', { refuse: notFound }),
    async (req, res) => {
      const p = principalOf(req);
      const { row, userRole } = await loadToken(ctx, ownerOf(p).orgId, tokenId(req.params.id));
      assertCan(req, 'delete', 'ApiToken', { orgId: row.orgId, userId: row.userId, userRole }, notFound);
      const revoked = await revokeToken(ctx, row);
      ctx.audit.publish(principalEvent(req, p, 'token.revoked', {}, { type: 'api_token', id: revoked.id }));
      res.json(revoked);
    },
  );

  router.post(
    '/api/v1/tokens/:id/rotate',
    ctx.sessionOnly,
    authorize('update', 'ApiToken', { refuse: notFound }),
    async (req, res) => {
      const p = principalOf(req);
      const id = tokenId(req.params.id);
      const { graceSeconds } = parse(rotateBody, req.body);
      checkGraceSeconds(ctx, graceSeconds);
      const { row, userRole } = await loadToken(ctx, ownerOf(p).orgId, id);
      // The new secret goes to the caller: the ability lets only the token's own user rotate it.
      assertCan(req, 'update', 'ApiToken', { orgId: row.orgId, userId: row.userId, userRole }, notFound);
      const rotated = await rotateToken(ctx, row, graceSeconds);
      ctx.audit.publish(principalEvent(req, p, 'token.rotated', { graceSeconds }, { type: 'api_token', id }));
      res.json(rotated);
    },
  );

  return router;
}
