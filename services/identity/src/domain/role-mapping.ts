// IdP groups -> Airlock role. Pure: no I/O, so every rule is tested directly.
import { ROLES, type Role } from '@airlock/common';

const MAX_GROUPS = 1000;

/** Groups as the IdP sent them (array, single string, or absent), bounded and de-duplicated. */
export function normaliseGroups(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  const out = new Set<string>();
  for (const g of list) {
    if (typeof g === 'string' && g.length > 0 && g.length <= 256) out.add(g);
    if (out.size >= MAX_GROUPS) break;
  }
  return [...out];
}

/**
 * The most powerful role any of the user's groups maps to. With no mapped group: the
 * connection's default role, or null (no access) when the connection requires a mapped group.
 */
export function mapRole(
  groups: readonly string[],
  groupRoleMap: Readonly<Record<string, Role>>,
  defaultRole: Role,
  requireMappedGroup: boolean,
): Role | null {
  let best: Role | null = null;
  for (const g of groups) {
    const role = Object.hasOwn(groupRoleMap, g) ? groupRoleMap[g] : undefined;
    if (role && (best === null || ROLES.indexOf(role) < ROLES.indexOf(best))) best = role;
  }
  if (best) return best;
  return requireMappedGroup ? null : defaultRole;
}

// The allowed-email-domain rule is common's, shared with rbac's invitations.
export { emailDomainAllowed } from '@airlock/common';
