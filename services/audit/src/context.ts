import type { ModuleDeps } from '@airlock/common';

/**
 * What the audit routes need: the module deps, with the process's access kit (credentials
 * and authorize()) among them.
 */
export type AuditContext = Pick<ModuleDeps, 'db' | 'audit' | 'logger' | 'clock' | 'access'>;
