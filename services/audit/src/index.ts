export { auditModule, createAuditModule, type AuditModuleOptions } from './module.js';
export { auditConfig, auditConfigSchema, type AuditConfig } from './config.js';
