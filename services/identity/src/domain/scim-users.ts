// SCIM 2.0 Users for one org, as plain functions (the HTTP layer is routes/scim.ts).
// The org's SCIM users are the rows of scim_users plus the org's members (so an IdP can find
// and adopt users who signed in through SSO before provisioning was turned on). Deactivating
// removes the membership and revokes the user's sessions and API tokens in the org at once;
// the scim_users row keeps the user visible as active=false so the IdP can reactivate them.
// A user is global (one email, possibly several orgs), so an org's SCIM never deactivates the
// user everywhere and renames only users who belong to no other org.
// An email this org may not attach (another tenant's user, the break-glass account, any email
// when the org claims no domains) gets a pending SCIM user instead (scim-pending.ts): the same
// 201 and resource, no account, so SCIM answers never reveal other tenants' users.
// The queries are store/scim-users.ts; one page of a listing reads all its users at once.
import type { AuditEventInput } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { emailDomainAllowed } from './role-mapping.js';
import { attachableAccount, pendingView, type PendingRow, USER_SCHEMA } from './scim-pending.js';
import { revokeAllSessions } from './sessions.js';
import { revokeAllTokens } from './tokens.js';
import { findOrg } from '../store/orgs.js';
import { renameIfOnlyHere } from '../store/provisioning.js';
import {
  accountIdsWithEmail,
  activateScimAccount,
  attachPending,
  createAccount,
  createPendingUser,
  deactivateScimAccount,
  findHoldingAccount,
  findPending,
  findPendingByEmail,
  scimDuplicateExists,
  scimResourceRows,
  scimResources,
  updatePending,
  type ScimResourceRecord,
} from '../store/scim-users.js';

export { USER_SCHEMA };
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

/** A SCIM resource id of this org: a pending row (attached or not) or an account's id. */
async function resolve(ctx: IdentityContext, orgId: string, id: string) {
  const pending = await findPending(ctx.db, orgId, id);
  return { pending, userId: pending ? pending.userId : id };
}

/** The SCIM resource of a stored record; null when it is not one of this org's users. */
function viewOf(record: ScimResourceRecord, baseUrl: string) {
  const { id, pending, account } = record;
  if (pending && !pending.userId) return pendingView(pending, baseUrl);
  if (!account) return null;
  const { user, member, scim } = account;
  return {
    schemas: [USER_SCHEMA],
    id,
    ...(scim?.externalId ? { externalId: scim.externalId } : {}),
    userName: user.email,
    name: { formatted: user.name ?? undefined },
    displayName: user.name ?? undefined,
    emails: [{ value: user.email, primary: true, type: 'work' }],
    active: member && user.status === 'active',
    meta: {
      resourceType: 'User',
      created: (scim?.createdAt ?? user.createdAt).toISOString(),
      lastModified: (scim?.updatedAt ?? user.updatedAt).toISOString(),
      location: `${baseUrl}/scim/v2/Users/${id}`,
    },
  };
}

export type ScimUserView = NonNullable<ReturnType<typeof viewOf>>;

export async function scimUserView(
  ctx: IdentityContext,
  orgId: string,
  id: string,
  baseUrl: string,
): Promise<ScimUserView> {
  const [record] = await scimResources(ctx.db, orgId, [id]);
  const view = record ? viewOf(record, baseUrl) : null;
  if (!view) throw new ScimError(404, 'user not found');
  return view;
}

/**
 * The resources of one page of ids (from listScimUserIds), in order, read in one batch. An id
 * that stopped being this org's user since the listing (removed meanwhile) is left out.
 */
export async function scimUserViews(
  ctx: IdentityContext,
  orgId: string,
  ids: readonly string[],
  baseUrl: string,
): Promise<ScimUserView[]> {
  const records = await scimResources(ctx.db, orgId, ids);
  return records.map((r) => viewOf(r, baseUrl)).filter((v): v is ScimUserView => v !== null);
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
  const tracking = { orgId, userId, externalId };
  if (active) {
    const { before, granted } = await activateScimAccount(
      ctx.db,
      tracking,
      invitedEmail ? { email: invitedEmail, now: ctx.clock() } : null,
      // The invitation's role, else the directory's default.
      (invited) => invited ?? 'member',
    );
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
  const removed = await deactivateScimAccount(ctx.db, tracking);
  // Access ends now: sessions and API tokens in this org, and every replica's cache.
  await revokeAllSessions(ctx, userId, orgId);
  await revokeAllTokens(ctx, userId, orgId);
  if (removed) ctx.audit.publish(event(caller, 'scim.user_deactivated', userId, {}));
  return removed !== null;
}

const duplicate = () => new ScimError(409, 'a user with this userName already exists', 'uniqueness');

export async function createScimUser(
  ctx: IdentityContext,
  caller: ScimCaller,
  input: ScimUserInput,
): Promise<string> {
  const email = emailOf(input);
  const { orgId } = caller;
  const org = await findOrg(ctx.db, { id: orgId });
  if (!org) throw new ScimError(404, 'organisation not found');
  if (!emailDomainAllowed(email, org.allowedEmailDomains)) {
    throw new ScimError(400, 'the email domain is not allowed for this organisation', 'invalidValue');
  }
  const externalId = externalIdOf(input) ?? null;
  // A duplicate is judged only among this org's own SCIM users and members (SCIM's
  // `uniqueness`): same userName, or same externalId.
  const holder = await findHoldingAccount(ctx.db, email);
  if (await scimDuplicateExists(ctx.db, orgId, email, externalId, holder?.id ?? null)) throw duplicate();

  const active = scimBool(input.active) !== false;
  const account = await attachableAccount(ctx, org, email);
  if (account === false) {
    // Not attachable now: this org's own SCIM user without an account, answered alike.
    const row = await createPendingUser(ctx.db, { orgId, email, externalId, name: nameOf(input), active });
    if (!row) throw duplicate();
    ctx.audit.publish(event(caller, 'scim.user_created', row.id, {}));
    return row.id;
  }
  let user: { id: string } | null = holder;
  if (user) {
    // An adopted account takes the directory's name, as a new one does (it belongs to no
    // other org), so the answer does not tell the two apart.
    await renameIfOnlyHere(ctx.db, orgId, user.id, nameOf(input));
  } else {
    user = await createAccount(ctx.db, { email, name: nameOf(input) });
    if (!user) throw duplicate(); // created meanwhile by another request
  }
  // attachableAccount() passed: the email is in a claimed domain, so an invitation for it is
  // completed here (the org's word on the role).
  await setActive(ctx, caller, user.id, active, externalId, email);
  ctx.audit.publish(event(caller, 'scim.user_created', user.id, {}));
  return user.id;
}

/**
 * After a SCIM write to a pending user: attach the account if it has become attachable
 * (claimed domain, no other org holds it, not break-glass). A new account takes the row's id,
 * so the resource id the IdP knows names the account too.
 */
async function attachIfPossible(ctx: IdentityContext, caller: ScimCaller, row: PendingRow) {
  if (!row.active || row.userId) return;
  const org = await findOrg(ctx.db, { id: caller.orgId });
  if (!org) return;
  const account = await attachableAccount(ctx, org, row.email);
  if (account === false) return;
  let userId = account?.id;
  if (!userId) {
    userId = (await createAccount(ctx.db, { id: row.id, email: row.email, name: row.name }))?.id;
    if (!userId) return; // created meanwhile: the next write attaches it
  }
  await setActive(ctx, caller, userId, true, row.externalId, row.email);
  await attachPending(ctx.db, caller.orgId, row.id, userId);
}

async function replacePending(
  ctx: IdentityContext,
  caller: ScimCaller,
  row: PendingRow,
  input: ScimUserInput,
) {
  const fields: string[] = [];
  const name = nameOf(input);
  const active = scimBool(input.active);
  const externalId = externalIdOf(input);
  const data: { name?: string; active?: boolean; externalId?: string | null } = {};
  if (name && name !== row.name) {
    data.name = name;
    fields.push('name');
  }
  if (active !== undefined && active !== row.active) {
    data.active = active;
    fields.push('active');
  }
  if (externalId !== undefined) data.externalId = externalId;
  const updated: PendingRow = await updatePending(ctx.db, caller.orgId, row.id, data);
  if (active === false && row.active) ctx.audit.publish(event(caller, 'scim.user_deactivated', row.id, {}));
  else if (fields.length > 0) ctx.audit.publish(event(caller, 'scim.user_updated', row.id, { fields }));
  await attachIfPossible(ctx, caller, updated);
}

/** PUT: replaces what we keep (name, active). The email is the identity and is not changed. */
export async function replaceScimUser(
  ctx: IdentityContext,
  caller: ScimCaller,
  id: string,
  input: ScimUserInput,
) {
  const { pending, userId: resolved } = await resolve(ctx, caller.orgId, id);
  if (pending && !resolved) return replacePending(ctx, caller, pending, input);
  const userId = resolved!;
  await scimUserView(ctx, caller.orgId, id, ''); // 404 unless the user is in this org
  const fields: string[] = [];
  if (await renameIfOnlyHere(ctx.db, caller.orgId, userId, nameOf(input))) fields.push('name');
  const active = scimBool(input.active);
  const externalId = externalIdOf(input);
  if (active !== undefined || externalId !== undefined) {
    const current = (await scimUserView(ctx, caller.orgId, id, '')).active;
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

export async function deactivateScimUser(ctx: IdentityContext, caller: ScimCaller, id: string) {
  const { pending, userId } = await resolve(ctx, caller.orgId, id);
  if (pending && !userId) return replacePending(ctx, caller, pending, { active: false });
  await scimUserView(ctx, caller.orgId, id, '');
  await setActive(ctx, caller, userId!, false);
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
    const email = match[2]!.toLowerCase();
    const pending = await findPendingByEmail(ctx.db, orgId, email);
    if (pending) return [pending.id];
    // The account holding the email, or one of this org's that does not hold it.
    const ids = await accountIdsWithEmail(ctx.db, orgId, email);
    const records = await scimResources(ctx.db, orgId, ids);
    return records.filter((r) => viewOf(r, '') !== null).map((r) => r.id);
  }
  const { members, tracked, pending } = await scimResourceRows(ctx.db, orgId);
  // An attached pending row stays the resource id the IdP knows: list it instead of the account.
  const aliased = new Set(pending.map((p) => p.userId).filter((u): u is string => u !== null));
  const accounts = [...members, ...tracked].map((r) => r.userId).filter((u) => !aliased.has(u));
  return [...new Set([...accounts, ...pending.map((p) => p.id)])].sort();
}

/** The most resources one page holds (also ServiceProviderConfig's filter.maxResults). */
export const MAX_PAGE = 200;

/**
 * One page of the org's SCIM users (RFC 7644 §3.4.2.4): `startIndex` is 1-based and a value
 * below 1 means 1; `count` is at most MAX_PAGE and a negative one means 0 (totalResults only).
 * Reads a constant number of queries whatever the page size.
 */
export async function listScimUsers(
  ctx: IdentityContext,
  orgId: string,
  query: { filter: string | undefined; startIndex: number; count: number },
  baseUrl: string,
) {
  const ids = await listScimUserIds(ctx, orgId, query.filter);
  const startIndex = Math.max(1, Math.trunc(query.startIndex) || 1);
  const count = Math.min(MAX_PAGE, Math.max(0, Math.trunc(query.count) || 0));
  const page = ids.slice(startIndex - 1, startIndex - 1 + count);
  const resources = await scimUserViews(ctx, orgId, page, baseUrl);
  return { totalResults: ids.length, startIndex, resources };
}

export function assertUuid(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new ScimError(404, 'user not found');
  return id;
}
