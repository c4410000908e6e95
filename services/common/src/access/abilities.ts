// Who may do what: one CASL ability definition per role, used by every service. Routes ask
// `ability.can(action, subject(...))`; they never compare role names themselves.
import {
  AbilityBuilder,
  createMongoAbility,
  subject as asSubject,
  type MongoAbility,
  type MongoQuery,
} from '@casl/ability';
import type { Role } from '../generated/prisma/enums.js';
import type { Principal } from '../auth/principal.js';

export type Action = 'create' | 'read' | 'update' | 'delete' | 'manage' | 'use' | 'export';
export type SubjectName =
  | 'ApiToken'
  | 'AuditEvent'
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
export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/** Model-name globs ("llama-3.*", "*") as anchored regex sources. */
export function globToRegex(glob: string): string {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return `^${escaped}$`;
}

export interface AbilityContext {
  /** Model globs this principal's role may use, from the org policy. */
  allowedModels?: readonly string[];
}

export function defineAbilityFor(principal: Principal, context: AbilityContext = {}): AppAbility {
  const { can, cannot, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (principal.isPlatformAdmin) can('manage', 'all');
  const { orgId, userId, role } = principal;
  if (orgId && role) {
    const inOrg = { orgId };
    const own = { orgId, userId };
    can('read', 'Org', { id: orgId });
    can('read', 'Usage', own);
    can('read', 'Policy', inOrg);
    can('read', 'Session', own);
    can('delete', 'Session', own);
    if (role !== 'viewer') {
      can('manage', 'ApiToken', own);
      for (const glob of context.allowedModels ?? []) {
        can('use', 'Model', { name: { $regex: globToRegex(glob) } } as MongoQuery);
      }
    }
    if (role === 'admin' || role === 'owner') {
      can('read', 'Member', inOrg);
      can(['create', 'update', 'delete'], 'Member', { orgId, role: { $in: ['member', 'viewer'] } });
      can('manage', ['Policy', 'SsoConnection', 'ScimToken', 'ApiToken', 'Session'], inOrg);
      can(['read', 'export'], 'AuditEvent', inOrg);
      can('read', 'Usage', inOrg);
    }
    if (role === 'owner') {
      can('manage', 'Member', inOrg);
      can('update', 'Org', { id: orgId });
    }
    // Nobody changes their own role or removes themselves through the member API.
    cannot(['update', 'delete'], 'Member', { userId: userId ?? '' });
  }
  return build();
}

/** Tags a plain object as a CASL subject: subject('Member', { orgId, userId, role }). */
export function subject<T extends Record<string, unknown>>(type: Exclude<SubjectName, 'all'>, object: T) {
  return asSubject(type, { ...object });
}
