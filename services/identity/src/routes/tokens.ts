// API tokens for tools and IDEs.
//   POST   /api/v1/tokens             create (session only); the secret is in this response only
//   GET    /api/v1/tokens[?all=true]  own tokens; all=true: every token of the org (owners, admins)
//   DELETE /api/v1/tokens/:id         revoke (own; owners: any in their org; admins: a non-owner's)
//   POST   /api/v1/tokens/:id/rotate  new secret (session only), optional grace for the old one
import { Router } from 'express';
import { principalOf } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { principalEvent } from '../domain/audit.js';
import { createToken, listVisibleTokens, revokeToken, rotateToken } from '../domain/tokens.js';
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

export function tokenRoutes(ctx: IdentityContext): Router {
  const router = Router();

  router.post('/api/v1/tokens', ctx.sessionOnly, async (req, res) => {
    const p = principalOf(req);
    const body = parse(createBody, req.body);
    if (body.expiresInDays && body.expiresInDays > ctx.settings.AIRLOCK_TOKEN_MAX_DAYS) {
      throw identityErrors.invalid([
        { path: ['expiresInDays'], message: `must be at most ${ctx.settings.AIRLOCK_TOKEN_MAX_DAYS}` },
      ]);
    }
    const created = await createToken(ctx, p, body);
    ctx.audit.publish(
      principalEvent(req, p, 'token.created', created.expiresAt ? { expiresAt: created.expiresAt } : {}, {
        type: 'api_token',
        id: created.id,
      }),
    );
    res.status(201).json(created);
  });

  router.get('/api/v1/tokens', ctx.anyCredential, async (req, res) => {
    const p = principalOf(req);
    const all = req.query.all === 'true';
    res.json({ data: await listVisibleTokens(ctx, p, all) });
  });

  router.delete('/api/v1/tokens/:id', ctx.anyCredential, async (req, res) => {
    const p = principalOf(req);
    const revoked = await revokeToken(ctx, p, tokenId(req.params.id));
    ctx.audit.publish(principalEvent(req, p, 'token.revoked', {}, { type: 'api_token', id: revoked.id }));
    res.json(revoked);
  });

  router.post('/api/v1/tokens/:id/rotate', ctx.sessionOnly, async (req, res) => {
    const p = principalOf(req);
    const id = tokenId(req.params.id);
    const { graceSeconds } = parse(rotateBody, req.body);
    const rotated = await rotateToken(ctx, p, id, graceSeconds);
    ctx.audit.publish(principalEvent(req, p, 'token.rotated', { graceSeconds }, { type: 'api_token', id }));
    res.json(rotated);
  });

  return router;
}
