// SSO connections of the caller's org (owners; admins read).
//   GET    /api/v1/sso/connections       list
//   POST   /api/v1/sso/connections       create
//   GET    /api/v1/sso/connections/:id   read
//   PATCH  /api/v1/sso/connections/:id   update (clientSecret: null clears it; absent keeps it)
//   DELETE /api/v1/sso/connections/:id   delete
// The platform admin (the bootstrap token or a break-glass session) sets up any org's
// connections at the same paths under /api/v1/sso/orgs/:orgId/connections: how a new org gets
// its first connection before it has an owner. Audited in that org's chain with the platform
// admin as actor. Every write keeps the org's owner path (domain/owner-path.ts): one that
// would leave no owner, no pending owner and no group mapped to owner is refused, 409
// no_owner_path, and changes nothing.
// Secrets go in, never out: responses say only whether one is set.
import { Router, type Request, type RequestHandler } from 'express';
import { AirlockError, createSecretBox, principalOf, ROLES, type Principal, type Tx } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { requireOwnerPath } from '../domain/owner-path.js';
import { ownerPathReader } from '../store/owner-path.js';
import { principalEvent } from './audit-event.js';
import { checkIssuerUrl } from '../domain/outbound.js';
import { fetchIdpMetadata, parseIdpMetadata } from '../domain/saml-metadata.js';
import { identityErrors } from '../errors.js';
import { platformOrg } from './platform-org.js';
import {
  connectionView,
  deleteConnection,
  findConnection,
  groupRoleMapSchema,
  insertConnection,
  listConnections,
  oidcConfigSchema,
  samlConfigSchema,
  updateConnection,
} from '../store/sso-connections.js';

const role = z.enum(ROLES);
const name = z.string().trim().min(1).max(100);
const secret = z.string().min(1).max(4096);

/** SAML config as typed in: the IdP fields, or metadata (XML or URL) to read them from. */
const samlInput = z.union([
  samlConfigSchema,
  samlConfigSchema
    .omit({ idpEntityId: true, idpSsoUrl: true, idpCertificates: true })
    .extend({
      metadataXml: z
        .string()
        .min(1)
        .max(512 * 1024),
    })
    .strict(),
  samlConfigSchema
    .omit({ idpEntityId: true, idpSsoUrl: true, idpCertificates: true })
    .extend({ metadataUrl: z.url().max(2048) })
    .strict(),
]);

const createBody = z.discriminatedUnion('protocol', [
  z.strictObject({
    protocol: z.literal('oidc'),
    name,
    enabled: z.boolean().optional(),
    config: oidcConfigSchema,
    clientSecret: secret.optional(),
    groupRoleMap: groupRoleMapSchema.default({}),
    defaultRole: role.default('member'),
  }),
  z.strictObject({
    protocol: z.literal('saml'),
    name,
    enabled: z.boolean().optional(),
    config: samlInput,
    groupRoleMap: groupRoleMapSchema.default({}),
    defaultRole: role.default('member'),
  }),
]);

const patchBody = z.strictObject({
  name: name.optional(),
  enabled: z.boolean().optional(),
  /** Checked against the connection's own protocol. */
  config: z.record(z.string(), z.unknown()).optional(),
  clientSecret: secret.nullable().optional(),
  groupRoleMap: groupRoleMapSchema.optional(),
  defaultRole: role.optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw identityErrors.invalid(result.error.issues);
  }
  return result.data;
}

/** Resolves metadata (XML or URL) into the stored SAML config, validated like a typed-in one. */
async function resolveSamlConfig(ctx: IdentityContext, input: z.output<typeof samlInput>): Promise<object> {
  if ('metadataXml' in input || 'metadataUrl' in input) {
    const { metadataXml, metadataUrl, ...rest } = input as Record<string, unknown>;
    const metadata =
      typeof metadataXml === 'string'
        ? parseIdpMetadata(metadataXml)
        : await fetchIdpMetadata(ctx, String(metadataUrl));
    return parse(samlConfigSchema, { ...rest, ...metadata });
  }
  return input;
}

/** A unique violation on insert or rename means the name is taken; anything else is unchanged. */
function nameTaken(e: unknown): unknown {
  return (e as { code?: string })?.code === 'P2002'
    ? new AirlockError('name_taken', 'a connection with this name already exists')
    : e;
}

const ACTIONS = { get: 'read', post: 'create', patch: 'update', delete: 'delete' } as const;

export function ssoConnectionRoutes(ctx: IdentityContext): Router {
  const router = Router();
  const box = createSecretBox(ctx.keyring);
  const { authorize } = ctx.access;

  /** The org the route acts on: the one the platform path names, else the caller's own. */
  async function orgFor(
    req: Request,
    action: 'create' | 'read' | 'update' | 'delete',
  ): Promise<{ p: Principal; orgId: string }> {
    const p = principalOf(req);
    const named = await platformOrg(ctx, req, action);
    // authorize() admitted the caller to the connections of their own org (scope 'org').
    return { p, orgId: named ?? p.orgId! };
  }

  function audit(
    req: Request,
    p: Principal,
    orgId: string,
    action: 'sso.created' | 'sso.updated' | 'sso.deleted',
    row: { id: string; protocol: 'saml' | 'oidc' },
  ): void {
    ctx.audit.publish({
      ...principalEvent(req, p, action, { protocol: row.protocol }, { type: 'sso_connection', id: row.id }),
      orgId,
    });
  }

  /**
   * Each handler at the org's own path and at the platform path naming the org (the platform
   * admin's: only abilities.ts's platform rules admit it there). The method says the action.
   */
  function route(
    method: 'get' | 'post' | 'patch' | 'delete',
    own: string,
    platform: string,
    handler: RequestHandler,
  ): void {
    const action = ACTIONS[method];
    const refuse = () => identityErrors.forbidden('manage SSO connections');
    router[method](own, ctx.anyCredential, authorize(action, 'SsoConnection', { refuse }), handler);
    const platformOnly = authorize(action, 'SsoConnection', { scope: 'platform' });
    router[method](platform, ctx.platformAdmin, platformOnly, handler);
  }

  const ownerPath = (orgId: string) => (tx: Tx) => requireOwnerPath(ownerPathReader(tx, orgId, ctx.clock()));

  async function load(orgId: string, id: unknown) {
    const parsed = z.uuid().safeParse(id);
    const row = parsed.success ? await findConnection(ctx.db, orgId, parsed.data) : null;
    if (!row) throw identityErrors.connectionNotFound();
    return row;
  }

  route('get', '/api/v1/sso/connections', '/api/v1/sso/orgs/:orgId/connections', async (req, res) => {
    const { orgId } = await orgFor(req, 'read');
    res.json({ data: (await listConnections(ctx.db, orgId)).map(connectionView) });
  });

  route('get', '/api/v1/sso/connections/:id', '/api/v1/sso/orgs/:orgId/connections/:id', async (req, res) => {
    const { orgId } = await orgFor(req, 'read');
    res.json(connectionView(await load(orgId, req.params.id)));
  });

  route('post', '/api/v1/sso/connections', '/api/v1/sso/orgs/:orgId/connections', async (req, res) => {
    const { p, orgId } = await orgFor(req, 'create');
    const body = parse(createBody, req.body);
    let config: object = body.config;
    if (body.protocol === 'oidc') checkIssuerUrl(body.config.issuer, ctx);
    else config = await resolveSamlConfig(ctx, body.config);
    try {
      const row = await insertConnection(
        ctx.db,
        box,
        {
          orgId,
          protocol: body.protocol,
          name: body.name,
          enabled: body.enabled,
          config,
          secret: body.protocol === 'oidc' ? (body.clientSecret ?? null) : null,
          groupRoleMap: body.groupRoleMap,
          defaultRole: body.defaultRole,
        },
        ownerPath(orgId),
      );
      audit(req, p, orgId, 'sso.created', row);
      res.status(201).json(connectionView(row));
    } catch (e) {
      throw nameTaken(e);
    }
  });

  route(
    'patch',
    '/api/v1/sso/connections/:id',
    '/api/v1/sso/orgs/:orgId/connections/:id',
    async (req, res) => {
      const { p, orgId } = await orgFor(req, 'update');
      const row = await load(orgId, req.params.id);
      const body = parse(patchBody, req.body);
      let config: object | undefined;
      if (body.config) {
        if (row.protocol === 'oidc') {
          const oidc = parse(oidcConfigSchema, body.config);
          checkIssuerUrl(oidc.issuer, ctx);
          config = oidc;
        } else {
          config = await resolveSamlConfig(ctx, parse(samlInput, body.config));
        }
      }
      if (row.protocol === 'saml' && typeof body.clientSecret === 'string') {
        throw identityErrors.invalid([
          { path: ['clientSecret'], message: 'SAML connections have no client secret' },
        ]);
      }
      try {
        const updated = await updateConnection(
          ctx.db,
          box,
          orgId,
          row.id,
          {
            name: body.name,
            enabled: body.enabled,
            config,
            secret: body.clientSecret,
            groupRoleMap: body.groupRoleMap,
            defaultRole: body.defaultRole,
          },
          ownerPath(orgId),
        );
        audit(req, p, orgId, 'sso.updated', updated);
        res.json(connectionView(updated));
      } catch (e) {
        throw nameTaken(e);
      }
    },
  );

  route(
    'delete',
    '/api/v1/sso/connections/:id',
    '/api/v1/sso/orgs/:orgId/connections/:id',
    async (req, res) => {
      const { p, orgId } = await orgFor(req, 'delete');
      const row = await load(orgId, req.params.id);
      await deleteConnection(ctx.db, orgId, row.id, ownerPath(orgId));
      audit(req, p, orgId, 'sso.deleted', row);
      res.status(204).end();
    },
  );

  return router;
}
