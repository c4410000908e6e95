export { auditModule, createAuditModule, type AuditModuleOptions } from './module.js';
