export { rbacModule } from './module.js';
export { rbacConfig, rbacConfigSchema, type RbacConfig } from './config.js';
export { countActiveOwners, provisionMembership } from './store/members.js';
export { acceptPendingGrant, hasOpenGrant } from './store/pending-grants.js';
