// SCIM 2.0 Users for one org, as plain functions (the HTTP layer is routes/scim.ts).
// The org's SCIM users are the rows of scim_users plus the org's members (so an IdP can find
// and adopt users who signed in through SSO before provisioning was turned on). Deactivating
// removes the membership and revokes the user's sessions and API tokens in the org at once;
// the scim_users row keeps the user visible as active=false so the IdP can reactivate them.
// A user is global (one email, possibly several orgs), so an org's SCIM never deactivates the
// user everywhere and renames only users who belong to no other org.
import { heldByAnotherOrg, type AuditEventInput } from '@airlock/common';
import { acceptPendingGrant } from '@airlock/rbac';
import type { IdentityContext } from '../context.js';
import { emailDomainAllowed } from './role-mapping.js';
import { revokeAllSessions } from './sessions.js';
import { revokeAllTokens } from './tokens.js';
import { removeMembership, upsertMembership } from '../store/memberships.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** A SCIM error: status, optional scimType, safe detail. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: string,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export interface ScimCaller {
  orgId: string;
  tokenId: string;
  requestMeta: { clientIp: string | null; userAgent: string | null; requestId: string | null };
}

export interface ScimUserInput {
  userName?: unknown;
  name?: { formatted?: unknown; givenName?: unknown; familyName?: unknown } | null;
  displayName?: unknown;
  emails?: { value?: unknown; primary?: unknown }[] | null;
  active?: unknown;
  externalId?: unknown;
}

function emailOf(input: ScimUserInput): string {
  const emails = Array.isArray(input.emails) ? input.emails : [];
  const primary = emails.find((e) => e?.primary === true) ?? emails[0];
  const value = typeof primary?.value === 'string' ? primary.value : input.userName;
  const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!EMAIL.test(email))
    throw new ScimError(400, 'userName or a primary email must be an email address', 'invalidValue');
  return email;
}

function nameOf(input: ScimUserInput): string | null {
  const n = input.name;
  const formatted =
    (typeof n?.formatted === 'string' && n.formatted) ||
    [n?.givenName, n?.familyName].filter((x) => typeof x === 'string' && x).join(' ') ||
    (typeof input.displayName === 'string' ? input.displayName : '');
  return formatted ? formatted.slice(0, 200) : null;
}

/** SCIM booleans arrive as true/false or, from Entra ID, "True"/"False". */
export function scimBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

function event<A extends 'scim.user_created' | 'scim.user_updated' | 'scim.user_deactivated'>(
  caller: ScimCaller,
  action: A,
  userId: string,
  details: AuditEventInput<A>['details'],
): AuditEventInput<A> {
  return {
    action,
    orgId: caller.orgId,
    actor: { type: 'scim', id: caller.tokenId, email: null },
    outcome: 'success',
    details,
    target: { type: 'user', id: userId },
    ...caller.requestMeta,
  };
}

export async function scimUserView(ctx: IdentityContext, orgId: string, userId: string, baseUrl: string) {
  const user = await ctx.db.prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new ScimError(404, 'user not found');
  const key = { orgId_userId: { orgId, userId } };
  const [membership, scimRow] = await Promise.all([
    ctx.db.forOrg(orgId).membership.findUnique({ where: key }),
    ctx.db.forOrg(orgId).scimUser.findUnique({ where: key }),
  ]);
  if (!membership && !scimRow) throw new ScimError(404, 'user not found');
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    ...(scimRow?.externalId ? { externalId: scimRow.externalId } : {}),
    userName: user.email,
    name: { formatted: user.name ?? undefined },
    displayName: user.name ?? undefined,
    emails: [{ value: user.email, primary: true, type: 'work' }],
    active: membership !== null && user.status === 'active',
    meta: {
      resourceType: 'User',
      created: (scimRow?.createdAt ?? user.createdAt).toISOString(),
      lastModified: (scimRow?.updatedAt ?? user.updatedAt).toISOString(),
      location: `${baseUrl}/scim/v2/Users/${user.id}`,
    },
  };
}

function externalIdOf(input: ScimUserInput): string | null | undefined {
  if (input.externalId === undefined) return undefined;
  return typeof input.externalId === 'string' && input.externalId.length <= 256 ? input.externalId : null;
}

async function setActive(
  ctx: IdentityContext,
  caller: ScimCaller,
  userId: string,
  active: boolean,
  externalId?: string | null,
  /** The email whose open invitation (pending grant) this activation may take, if any. */
  invitedEmail?: string,
): Promise<boolean> {
  const { orgId } = caller;
  const key = { orgId_userId: { orgId, userId } };
  const track = {
    where: key,
    create: { orgId, userId, active, externalId: externalId ?? null },
    update: { active, ...(externalId === undefined ? {} : { externalId }) },
  };
  if (active) {
    const { before, granted } = await ctx.db.inOrg(orgId, async (tx) => {
      await tx.scimUser.upsert(track);
      const m = await tx.membership.findUnique({ where: key });
      if (m) return { before: m.role, granted: null };
      const granted = invitedEmail
        ? await acceptPendingGrant(tx, orgId, invitedEmail, userId, ctx.clock())
        : null;
      return { before: await upsertMembership(tx, orgId, userId, granted ?? 'member'), granted };
    });
    if (granted) {
      ctx.audit.publish({
        action: 'member.invitation_accepted',
        orgId,
        actor: { type: 'scim', id: caller.tokenId, email: null },
        outcome: 'success',
        details: { role: granted },
        target: { type: 'user', id: userId },
        ...caller.requestMeta,
      });
    }
    return before === null;
  }
  const removed = await ctx.db.inOrg(orgId, async (tx) => {
    await tx.scimUser.upsert(track);
    return removeMembership(tx, orgId, userId);
  });
  // Access ends now: sessions and API tokens in this org, and every replica's cache.
  await revokeAllSessions(ctx, userId, orgId);
  await revokeAllTokens(ctx, userId, orgId);
  if (removed) ctx.audit.publish(event(caller, 'scim.user_deactivated', userId, {}));
  return removed !== null;
}

export async function createScimUser(
  ctx: IdentityContext,
  caller: ScimCaller,
  input: ScimUserInput,
): Promise<string> {
  const email = emailOf(input);
  const org = await ctx.db.system.org.findUnique({ where: { id: caller.orgId } });
  if (!org) throw new ScimError(404, 'organisation not found');
  if (!emailDomainAllowed(email, org.allowedEmailDomains)) {
    throw new ScimError(400, 'the email domain is not allowed for this organisation', 'invalidValue');
  }
  let user = await ctx.db.prisma.user.findUnique({ where: { email } });
  if (user) {
    const key = { orgId_userId: { orgId: caller.orgId, userId: user.id } };
    const [member, tracked] = await Promise.all([
      ctx.db.forOrg(caller.orgId).membership.findUnique({ where: key }),
      ctx.db.forOrg(caller.orgId).scimUser.findUnique({ where: key }),
    ]);
    // Adopting an account that exists: only one this org may own (an email in a domain it
    // has claimed, held by no other org, never the break-glass account). Every refusal is
    // the same answer as a duplicate here, so it says nothing about other tenants.
    const adoptable =
      !user.isPlatformAdmin &&
      org.allowedEmailDomains.length > 0 &&
      !(await heldByAnotherOrg(ctx.db, user.id, caller.orgId));
    if (member || tracked || !adoptable) {
      throw new ScimError(409, 'a user with this userName already exists', 'uniqueness');
    }
  } else {
    user = await ctx.db.prisma.user.create({ data: { email, name: nameOf(input) } });
  }
  // An invitation is the org's word on the role; the directory completes it only for an
  // address in a domain the org has claimed (the same bar as adopting an existing account).
  const claimed = org.allowedEmailDomains.length > 0;
  await setActive(
    ctx,
    caller,
    user.id,
    scimBool(input.active) !== false,
    externalIdOf(input) ?? null,
    claimed ? email : undefined,
  );
  ctx.audit.publish(event(caller, 'scim.user_created', user.id, {}));
  return user.id;
}

async function renameIfOnlyHere(ctx: IdentityContext, orgId: string, userId: string, name: string | null) {
  if (!name) return false;
  const elsewhere = await ctx.db.system.membership.count({ where: { userId, NOT: { orgId } } });
  if (elsewhere > 0) return false;
  await ctx.db.prisma.user.update({ where: { id: userId }, data: { name } });
  return true;
}

/** PUT: replaces what we keep (name, active). The email is the identity and is not changed. */
export async function replaceScimUser(
  ctx: IdentityContext,
  caller: ScimCaller,
  userId: string,
  input: ScimUserInput,
) {
  await scimUserView(ctx, caller.orgId, userId, ''); // 404 unless the user is in this org
  const fields: string[] = [];
  if (await renameIfOnlyHere(ctx, caller.orgId, userId, nameOf(input))) fields.push('name');
  const active = scimBool(input.active);
  const externalId = externalIdOf(input);
  if (active !== undefined || externalId !== undefined) {
    const current = (await scimUserView(ctx, caller.orgId, userId, '')).active;
    if (await setActive(ctx, caller, userId, active ?? current, externalId)) fields.push('active');
  }
  if (fields.length > 0 && active !== false)
    ctx.audit.publish(event(caller, 'scim.user_updated', userId, { fields }));
}

interface PatchOp {
  op?: unknown;
  path?: unknown;
  value?: unknown;
}

/** PATCH: the operations IdPs send in practice (Okta, Entra ID): replace/add of active and name. */
export async function patchScimUser(
  ctx: IdentityContext,
  caller: ScimCaller,
  userId: string,
  operations: unknown,
) {
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > 100) {
    throw new ScimError(400, 'Operations must be a non-empty array', 'invalidSyntax');
  }
  const input: ScimUserInput = {};
  for (const raw of operations as PatchOp[]) {
    const op = typeof raw?.op === 'string' ? raw.op.toLowerCase() : '';
    if (op !== 'replace' && op !== 'add')
      throw new ScimError(400, `unsupported op ${String(raw?.op)}`, 'invalidSyntax');
    const path = typeof raw.path === 'string' ? raw.path : undefined;
    const values: Record<string, unknown> =
      path === undefined ? ((raw.value ?? {}) as Record<string, unknown>) : { [path]: raw.value };
    for (const [key, value] of Object.entries(values)) {
      if (key === 'active') input.active = value;
      else if (key === 'displayName') input.displayName = value;
      else if (key === 'name.formatted') input.name = { ...input.name, formatted: value };
      else if (key === 'name.givenName') input.name = { ...input.name, givenName: value };
      else if (key === 'name.familyName') input.name = { ...input.name, familyName: value };
      else if (key === 'name' && value && typeof value === 'object')
        input.name = value as ScimUserInput['name'];
      // Other attributes (title, phone numbers…) are not kept by Airlock: accepted and ignored.
    }
  }
  if (input.active !== undefined && scimBool(input.active) === undefined) {
    throw new ScimError(400, 'active must be a boolean', 'invalidValue');
  }
  await replaceScimUser(ctx, caller, userId, input);
}

export async function deactivateScimUser(ctx: IdentityContext, caller: ScimCaller, userId: string) {
  await scimUserView(ctx, caller.orgId, userId, '');
  await setActive(ctx, caller, userId, false);
}

/** Members of the org (and SSO-known users), optionally filtered by `userName eq "…"`. */
export async function listScimUserIds(
  ctx: IdentityContext,
  orgId: string,
  filter: string | undefined,
): Promise<string[]> {
  if (filter !== undefined) {
    const match = /^\s*(userName|emails(?:\.value)?)\s+eq\s+"([^"]{1,320})"\s*$/i.exec(filter);
    if (!match) throw new ScimError(400, 'only `userName eq "…"` filters are supported', 'invalidFilter');
    const user = await ctx.db.prisma.user.findUnique({ where: { email: match[2]!.toLowerCase() } });
    if (!user) return [];
    try {
      await scimUserView(ctx, orgId, user.id, '');
      return [user.id];
    } catch {
      return [];
    }
  }
  const [members, tracked] = await Promise.all([
    ctx.db.forOrg(orgId).membership.findMany({ where: { orgId }, select: { userId: true } }),
    ctx.db.forOrg(orgId).scimUser.findMany({ where: { orgId }, select: { userId: true } }),
  ]);
  return [...new Set([...members, ...tracked].map((r) => r.userId))].sort();
}

export function assertUuid(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new ScimError(404, 'user not found');
  return id;
}
