// What every rbac route is built from (assembled once in module.ts).
import type {
  AuditPublisher,
  Logger,
  PolicyReader,
  PrincipalResolver,
  RedisHandle,
  UpstreamKeyBox,
} from '@airlock/common';
import type { RbacConfig } from '../config.js';
import type { MemberStore } from '../store/members.js';
import type { OrgStore } from '../store/orgs.js';
import type { PendingGrantStore } from '../store/pending-grants.js';
import type { PolicyStore } from '../store/policies.js';
import type { UserStore } from '../store/users.js';

export interface RbacContext {
  config: RbacConfig;
  secureCookies: boolean;
  logger: Logger;
  redis: RedisHandle;
  audit: AuditPublisher;
  resolver: PrincipalResolver;
  /** This process's cached view of org policies (for the admin IP allowlist). */
  policyReader: PolicyReader;
  keys: UpstreamKeyBox;
  orgs: OrgStore;
  members: MemberStore;
  policies: PolicyStore;
  users: UserStore;
  grants: PendingGrantStore;
}
