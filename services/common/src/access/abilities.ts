// Who may do what: one CASL ability definition per role, used by every service. Routes ask
// `ability.can(action, subject(...))`; they never compare role names themselves.
//
// Always check against a subject instance (`subject('Member', {...})`), never a bare type
// name: CASL answers `can('update', 'Member')` with "for some Member", which is true for an
// admin even though most members are out of their reach.
import {
  AbilityBuilder,
  createMongoAbility,
  subject as asSubject,
  type ForcedSubject,
  type MongoAbility,
  type MongoQuery,
} from '@casl/ability';
import type { Role } from '../generated/prisma/enums.js';
import type { Principal } from '../auth/principal.js';
import { globMatches } from '../policy/aliases.js';

export type Action = 'create' | 'read' | 'update' | 'delete' | 'manage' | 'use' | 'export';
export type SubjectName =
  | 'ApiToken'
  | 'AuditEvent'
  | 'EffectivePolicy'
  | 'Member'
  | 'Model'
  | 'Org'
  | 'Policy'
  | 'ScimToken'
  | 'Session'
  | 'SsoConnection'
  | 'Usage'
  | 'all';

export type AppAbility = MongoAbility<[Action, SubjectName | Record<string, unknown>], MongoQuery>;

/** Roles in order of power; a role may manage only roles strictly below it (owners: all). */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const satisfies readonly Role[];

/** Roles an admin may grant, change and remove. Owners manage every role. */
const ADMIN_MANAGED_ROLES: readonly Role[] = ['member', 'viewer'];

/** Whose sessions and tokens an admin may end (`userRole`: the credential's user's role). */
const ADMIN_REVOCABLE_ROLES: readonly Role[] = ['admin', 'member', 'viewer'];

/** Model-name globs ("llama-3.*", "*") as anchored regex sources. */
export function globToRegex(glob: string): string {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return `^${escaped}$`;
}

/** True when `name` matches one of the model globs. */
export function matchesModelGlob(name: string, globs: readonly string[]): boolean {
  return globs.some((glob) => globMatches(glob, name));
}

// The reasons of refusing rules, for routes that answer them with a code of their own.
/** The reason of the rule that keeps a principal from re-roling or removing themselves. */
export const SELF_CHANGE = 'self_change';

/**
 * Why `ability` refuses this check: the reason of the `cannot` rule that decides it, or null
 * when no rule grants it (plain forbidden) or it is not refused at all.
 */
export function refusalReason(
  ability: AppAbility,
  action: Action,
  type: Exclude<SubjectName, 'all'>,
  fields: Record<string, unknown>,
): string | null {
  const rule = ability.relevantRuleFor(action, subject(type, fields) as unknown as Record<string, unknown>);
  return rule?.inverted ? (rule.reason ?? null) : null;
}

export interface AbilityContext {
  /** Model globs this principal's role may use, from the org policy. */
  allowedModels?: readonly string[];
}

/**
 * The ability of one principal. Org rules apply only inside the principal's own org
 * (every rule carries `orgId`), so a subject from another org is always refused.
 *
 * Platform admins (break-glass) run the platform, not the tenants: they manage orgs, read
 * and export audit events, set up an org's SSO/SCIM and read its members and policy. They
 * do not use models, change policy or roles, or hold tokens through platform rights; if a
 * platform admin is also a member of an org, that membership's role adds its own rules.
 */
export function defineAbilityFor(principal: Principal, context: AbilityContext = {}): AppAbility {
  const { can, cannot, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  const { orgId, userId, role } = principal;
  if (principal.isPlatformAdmin) {
    can('manage', 'Org');
    can(['read', 'export'], 'AuditEvent');
    can('manage', ['SsoConnection', 'ScimToken']);
    can('read', ['Member', 'Policy']);
    if (userId) can(['read', 'delete'], 'Session', { userId });
  }
  if (orgId && role && (ROLES as readonly string[]).includes(role)) {
    const inOrg = { orgId };
    const own = { orgId, userId };
    can('read', 'Org', { id: orgId });
    can('read', 'Usage', own);
    // The full policy (upstream URLs, redaction regexes, the IP allowlist) is admin material;
    // everyone reads what applies to them: their effective policy.
    can('read', 'EffectivePolicy', own);
    can('read', 'Session', own);
    can('delete', 'Session', own);
    // Everyone lists their own API tokens, a viewer too (theirs may predate a demotion).
    can('read', 'ApiToken', own);
    if (role !== 'viewer') {
      can('manage', 'ApiToken', own);
      for (const glob of context.allowedModels ?? []) {
        can('use', 'Model', { name: { $regex: globToRegex(glob) } } as MongoQuery);
      }
    }
    // Gateway: every role may list its org's models (GET /v1/models); the list holds only the
    // ones 'use Model' grants, so a viewer's is empty rather than refused. Scoped to the org
    // like every org rule, so no platform-scope check (a subject without fields) matches it.
    can('read', 'Model', inOrg);
    if (role === 'admin' || role === 'owner') {
      can('read', 'Member', inOrg);
      can(['create', 'update', 'delete'], 'Member', { orgId, role: { $in: [...ADMIN_MANAGED_ROLES] } });
      can('manage', 'Policy', inOrg);
      can('read', 'EffectivePolicy', inOrg);
      // Admins see anyone's sessions and tokens and end those of non-owners (`userRole`, which
      // a check must supply: without it the rule does not match). Only a token's owner may
      // rotate it: rotation hands out the new secret, which would let an admin act as them.
      const nonOwner = { orgId, userRole: { $in: [...ADMIN_REVOCABLE_ROLES] } };
      can('read', ['Session', 'ApiToken'], inOrg);
      can('delete', ['Session', 'ApiToken'], nonOwner);
      can('read', ['SsoConnection', 'ScimToken'], inOrg);
      can(['read', 'export'], 'AuditEvent', inOrg);
      can('read', 'Usage', inOrg);
    }
    if (role === 'owner') {
      can('manage', 'Member', inOrg);
      // SSO connections decide who signs in as whom and with which role, and SCIM tokens can
      // deprovision anyone: both are owner powers (an admin could otherwise map itself to owner).
      can('manage', ['SsoConnection', 'ScimToken', 'ApiToken', 'Session'], inOrg);
      can('update', 'Org', { id: orgId });
    }
    // Nobody changes their own role or removes themselves through the member API. The
    // reason lets the route answer with its own code (self_change) instead of plain forbidden.
    if (userId) cannot(['update', 'delete'], 'Member', { userId }).because(SELF_CHANGE);
    // Rotating a token ('update') hands its new secret to the caller, who could then
    // act as the token's user: only that user rotates it, whatever their role (owners too).
    if (userId) cannot('update', 'ApiToken', { userId: { $ne: userId } });
  }
  return build();
}

/** A plain object tagged with its subject type, as `ability.can` takes it. */
export type TaggedSubject<N extends SubjectName, T> = T & ForcedSubject<N> & Record<string, unknown>;

/**
 * Tags a copy of a plain object as a CASL subject: subject('Member', { orgId, userId, role }).
 * The copy keeps the caller's object untagged (CASL writes the tag onto the object).
 */
export function subject<N extends Exclude<SubjectName, 'all'>, T extends Record<string, unknown>>(
  type: N,
  object: T,
): TaggedSubject<N, T> {
  return asSubject(type, { ...object }) as TaggedSubject<N, T>;
}
