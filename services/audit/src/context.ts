import type { RequestHandler } from 'express';
import type { ModuleDeps } from '@airlock/common';

/** What the audit routes need: the module deps plus the authentication middleware. */
export interface AuditContext extends Pick<ModuleDeps, 'db' | 'audit' | 'logger' | 'clock'> {
  /** Session cookie or API token. */
  anyCredential: RequestHandler;
}
