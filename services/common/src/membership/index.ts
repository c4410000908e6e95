// Membership provisioning shared by rbac (member API) and identity (SSO and SCIM).
export * from './memberships.js';
export * from './pending-grants.js';
