// What every rbac route is built from (assembled once in module.ts).
import type { Access, AuditPublisher, Logger, RedisHandle, UpstreamKeyBox } from '@airlock/common';
import type { RbacConfig } from '../config.js';
import type { MemberStore } from '../store/members.js';
import type { OrgStore } from '../store/orgs.js';
import type { PendingGrantStore } from '../store/pending-grants.js';
import type { PolicyStore } from '../store/policies.js';
import type { UserStore } from '../store/users.js';

export interface RbacContext {
  config: RbacConfig;
  logger: Logger;
  redis: RedisHandle;
  audit: AuditPublisher;
  /**
   * The process's access kit: credentials, authorize(), and the resolver and policy reader
   * whose caches a role, status or policy change here must drop.
   */
  access: Access;
  keys: UpstreamKeyBox;
  orgs: OrgStore;
  members: MemberStore;
  policies: PolicyStore;
  users: UserStore;
  grants: PendingGrantStore;
}
