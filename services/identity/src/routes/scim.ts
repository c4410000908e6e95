// SCIM 2.0 (RFC 7643/7644) for the org's IdP, with a per-org bearer token.
//   GET/POST       /scim/v2/Users           list (filter userName eq "…") / create
//   GET/PUT/PATCH  /scim/v2/Users/:id       read / replace / patch (active, name)
//   DELETE         /scim/v2/Users/:id       deactivate in this org
//   GET            /scim/v2/Groups          empty list: groups map to roles at sign-in
//   GET            /scim/v2/ServiceProviderConfig
// Errors use SCIM's own envelope, not the API's.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { isAirlockError } from '@airlock/common';
import { publicRoute } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { requestMeta } from './audit-event.js';
import {
  assertUuid,
  createScimUser,
  deactivateScimUser,
  listScimUsers,
  MAX_PAGE,
  patchScimUser,
  replaceScimUser,
  ScimError,
  scimUserView,
  type ScimCaller,
  type ScimUserInput,
} from '../domain/scim-users.js';
import { orgOfScimToken } from '../store/scim-tokens.js';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PLATFORM_CODES: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  501: 'not_implemented',
};

declare module 'express-serve-static-core' {
  interface Request {
    scim?: ScimCaller;
  }
}

function send(res: Response, status: number, body: unknown) {
  res.status(status).type('application/scim+json').send(JSON.stringify(body));
}

function callerOf(req: Request): ScimCaller {
  if (!req.scim) throw new ScimError(401, 'authentication required');
  return req.scim;
}

export function scimRoutes(ctx: IdentityContext): Router {
  const router = Router();
  const scim = Router();
  const base = ctx.config.AIRLOCK_PUBLIC_URL.replace(/\/$/, '');

  scim.use(
    express.json({ type: ['application/scim+json', 'application/json'], limit: '256kb', strict: true }),
  );
  // Every SCIM route is behind the IdP's SCIM token below, not a user's credential.
  scim.use(publicRoute('own credential: SCIM token'));
  scim.use(async (req, _res, next) => {
    const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(req.get('authorization') ?? '');
    const found = match ? await orgOfScimToken(ctx.db, match[1]!) : null;
    if (!found) return next(new ScimError(401, 'missing, invalid or revoked SCIM token'));
    req.scim = { ...found, requestMeta: requestMeta(req) };
    next();
  });

  scim.get('/ServiceProviderConfig', (_req, res) => {
    send(res, 200, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: MAX_PAGE },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [
        { type: 'oauthbearertoken', name: 'Bearer token', description: 'Per-organisation SCIM token' },
      ],
    });
  });

  scim.get('/Users', async (req, res) => {
    const caller = callerOf(req);
    const { totalResults, startIndex, resources } = await listScimUsers(
      ctx,
      caller.orgId,
      {
        filter: typeof req.query.filter === 'string' ? req.query.filter : undefined,
        startIndex: Number.parseInt(String(req.query.startIndex ?? '1'), 10),
        count: Number.parseInt(String(req.query.count ?? MAX_PAGE), 10),
      },
      base,
    );
    send(res, 200, {
      schemas: [LIST_SCHEMA],
      totalResults,
      startIndex,
      itemsPerPage: resources.length,
      Resources: resources,
    });
  });

  scim.post('/Users', async (req, res) => {
    const caller = callerOf(req);
    const id = await createScimUser(ctx, caller, (req.body ?? {}) as ScimUserInput);
    const view = await scimUserView(ctx, caller.orgId, id, base);
    res.setHeader('Location', view.meta.location);
    send(res, 201, view);
  });

  scim.get('/Users/:id', async (req, res) => {
    const caller = callerOf(req);
    send(res, 200, await scimUserView(ctx, caller.orgId, assertUuid(String(req.params.id)), base));
  });

  scim.put('/Users/:id', async (req, res) => {
    const caller = callerOf(req);
    const id = assertUuid(String(req.params.id));
    await replaceScimUser(ctx, caller, id, (req.body ?? {}) as ScimUserInput);
    send(res, 200, await scimUserView(ctx, caller.orgId, id, base));
  });

  scim.patch('/Users/:id', async (req, res) => {
    const caller = callerOf(req);
    const id = assertUuid(String(req.params.id));
    const body = (req.body ?? {}) as { schemas?: unknown; Operations?: unknown };
    if (!Array.isArray(body.schemas) || !body.schemas.includes(PATCH_SCHEMA)) {
      throw new ScimError(400, `schemas must include ${PATCH_SCHEMA}`, 'invalidSyntax');
    }
    await patchScimUser(ctx, caller, id, body.Operations);
    send(res, 200, await scimUserView(ctx, caller.orgId, id, base));
  });

  scim.delete('/Users/:id', async (req, res) => {
    await deactivateScimUser(ctx, callerOf(req), assertUuid(String(req.params.id)));
    res.status(204).end();
  });

  scim.get('/Groups', (_req, res) => {
    // Airlock keeps no group objects: roles come from IdP groups at sign-in (group claims).
    send(res, 200, {
      schemas: [LIST_SCHEMA],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });
  // RFC 7644 §3.12: 501 is SCIM's answer for an operation the service provider does not support.
  scim.all('/Groups{/*rest}', () => {
    throw new ScimError(
      501,
      'group provisioning is not supported: Airlock maps IdP groups to roles from the sign-in group claim',
    );
  });

  scim.use((req, _res, next) => next(new ScimError(404, `no SCIM resource at ${req.path}`)));
  scim.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    void next;
    let status = 500;
    let detail = 'internal error';
    let scimType: string | undefined;
    if (err instanceof ScimError) ({ status, detail, scimType } = err);
    else if (isAirlockError(err) && err.expose) ({ status, message: detail } = err);
    else if ((err as { type?: string })?.type === 'entity.parse.failed')
      [status, detail, scimType] = [400, 'invalid JSON', 'invalidSyntax'];
    else if ((err as { type?: string })?.type === 'entity.too.large')
      [status, detail] = [413, 'request body is too large'];
    else ctx.logger.error({ err, requestId: req.id }, 'SCIM request failed');
    send(res, status, {
      schemas: [ERROR_SCHEMA],
      status: String(status),
      ...(scimType ? { scimType } : {}),
      detail,
      // The platform's envelope too (SCIM clients ignore extra attributes).
      error: { code: PLATFORM_CODES[status] ?? 'internal_error', message: detail, request_id: req.id },
    });
  });

  router.use('/scim/v2', scim);
  return router;
}
