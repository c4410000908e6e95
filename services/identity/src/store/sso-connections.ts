// SSO connections, one or more per org. Secrets (OIDC client secret, SAML SP private key) are
// sealed with the shared secret box, bound to the row id, and opened only for the call that
// needs them; they never leave this file in a response.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ROLES, type Db, type Role, type SecretBox, type SsoProtocol, type Tx } from '@airlock/common';

const role = z.enum(ROLES);

export const groupRoleMapSchema = z
  .record(z.string().min(1).max(256), role)
  .refine((m) => Object.keys(m).length <= 200, {
    message: 'at most 200 group mappings',
  });

export const oidcConfigSchema = z.strictObject({
  issuer: z.url().max(2048),
  clientId: z.string().min(1).max(512),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/))
    .max(20)
    .default(['openid', 'email', 'profile']),
  /** The ID token claim holding group names (Okta/Keycloak: groups; Entra: groups or roles). */
  groupsClaim: z.string().min(1).max(128).default('groups'),
  /** When true, a user in none of the mapped groups is refused and loses their membership. */
  requireMappedGroup: z.boolean().default(false),
});

export type OidcConfig = z.output<typeof oidcConfigSchema>;

const pemOrBase64Cert = z
  .string()
  .max(16_384)
  .transform((v) => v.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''))
  .refine(
    (v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length >= 200,
    'must be a PEM or base64 X.509 certificate',
  );

export const samlConfigSchema = z.strictObject({
  /** The IdP's entityID; responses must name it as Issuer. */
  idpEntityId: z.string().min(1).max(1024),
  /** Where the AuthnRequest is sent (HTTP-Redirect binding). */
  idpSsoUrl: z.url().max(2048),
  /** The IdP's signing certificates (several during a rollover). */
  idpCertificates: z.array(pemOrBase64Cert).min(1).max(5),
  /** Attribute holding the email; absent: the NameID (emailAddress format). */
  emailAttribute: z.string().min(1).max(256).optional(),
  nameAttribute: z.string().min(1).max(256).optional(),
  /** ADFS/Entra: http://schemas.microsoft.com/ws/2008/06/identity/claims/groups; Okta: groups. */
  groupsAttribute: z.string().min(1).max(256).default('groups'),
  /** Also require the outer Response to be signed (the assertion always must be). */
  wantResponseSigned: z.boolean().default(false),
  requireMappedGroup: z.boolean().default(false),
});

export type SamlConfig = z.output<typeof samlConfigSchema>;

export interface ConnectionRow {
  id: string;
  orgId: string;
  protocol: SsoProtocol;
  name: string;
  enabled: boolean;
  config: unknown;
  secretEnc: string | null;
  groupRoleMap: unknown;
  defaultRole: Role;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Runs inside a write's transaction, after the write and before the commit: throwing undoes
 * the write (the routes pass domain/owner-path.ts's requireOwnerPath).
 */
export type AfterWrite = (tx: Tx) => Promise<void>;

/** The associated data a connection's secret is sealed with: a copied ciphertext won't open. */
export const secretAad = (connectionId: string) => `sso_connections.secret_enc:${connectionId}`;

export function openSecret(box: SecretBox, row: Pick<ConnectionRow, 'id' | 'secretEnc'>): string | null {
  return row.secretEnc ? box.decrypt(row.secretEnc, secretAad(row.id)) : null;
}

export async function insertConnection(
  db: Db,
  box: SecretBox,
  c: {
    orgId: string;
    protocol: SsoProtocol;
    name: string;
    enabled?: boolean;
    config: object;
    secret: string | null;
    groupRoleMap: Record<string, Role>;
    defaultRole: Role;
  },
  after?: AfterWrite,
): Promise<ConnectionRow> {
  const id = randomUUID();
  return db.inOrg(c.orgId, async (tx) => {
    const row = await tx.ssoConnection.create({
      data: {
        id,
        orgId: c.orgId,
        protocol: c.protocol,
        name: c.name,
        enabled: c.enabled ?? true,
        config: c.config,
        secretEnc: c.secret ? box.encrypt(c.secret, secretAad(id)) : null,
        groupRoleMap: c.groupRoleMap,
        defaultRole: c.defaultRole,
      },
    });
    await after?.(tx);
    return row;
  });
}

export async function updateConnection(
  db: Db,
  box: SecretBox,
  orgId: string,
  id: string,
  patch: {
    name?: string;
    enabled?: boolean;
    config?: object;
    /** undefined: keep; null: clear; string: replace. */
    secret?: string | null;
    groupRoleMap?: Record<string, Role>;
    defaultRole?: Role;
  },
  after?: AfterWrite,
): Promise<ConnectionRow> {
  const { secret, ...rest } = patch;
  return db.inOrg(orgId, async (tx) => {
    const row = await tx.ssoConnection.update({
      where: { id },
      data: {
        ...rest,
        ...(secret === undefined
          ? {}
          : { secretEnc: secret === null ? null : box.encrypt(secret, secretAad(id)) }),
      },
    });
    await after?.(tx);
    return row;
  });
}

export function findConnection(db: Db, orgId: string, id: string): Promise<ConnectionRow | null> {
  return db.forOrg(orgId).ssoConnection.findFirst({ where: { id, orgId } });
}

export function listConnections(db: Db, orgId: string): Promise<ConnectionRow[]> {
  return db.forOrg(orgId).ssoConnection.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' } });
}

export async function deleteConnection(db: Db, orgId: string, id: string, after?: AfterWrite): Promise<void> {
  await db.inOrg(orgId, async (tx) => {
    await tx.ssoConnection.delete({ where: { id } });
    await after?.(tx);
  });
}

/** The connection a login for this org uses: the one named, or the org's only enabled one. */
export async function loginConnection(db: Db, orgId: string, id?: string): Promise<ConnectionRow | null> {
  const rows = await db
    .forOrg(orgId)
    .ssoConnection.findMany({ where: { orgId, enabled: true, ...(id ? { id } : {}) }, take: 2 });
  return rows.length === 1 ? rows[0]! : null;
}

/** The org's enabled connections, for the sign-in chooser (a handful; bounded anyway). */
export async function enabledConnections(db: Db, orgId: string): Promise<ConnectionRow[]> {
  return db
    .forOrg(orgId)
    .ssoConnection.findMany({ where: { orgId, enabled: true }, orderBy: { name: 'asc' }, take: 50 });
}

/** The org's one enabled SAML connection (null when none or ambiguous). */
export async function samlConnection(db: Db, orgId: string): Promise<ConnectionRow | null> {
  const rows = await db
    .forOrg(orgId)
    .ssoConnection.findMany({ where: { orgId, enabled: true, protocol: 'saml' }, take: 2 });
  return rows.length === 1 ? rows[0]! : null;
}

/** The public view: never the secret, only whether one is set. */
export function connectionView(row: ConnectionRow) {
  return {
    id: row.id,
    protocol: row.protocol,
    name: row.name,
    enabled: row.enabled,
    config: row.config,
    hasSecret: row.secretEnc !== null,
    groupRoleMap: row.groupRoleMap,
    defaultRole: row.defaultRole,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
