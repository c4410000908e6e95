import { notImplementedRouter, type AirlockModule } from '@airlock/common';

/** The audit service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const auditModule: AirlockModule = {
  name: 'audit',
  routePrefixes: ['/api/v1/audit-events'],
  init() {
    return { router: notImplementedRouter('audit', auditModule.routePrefixes) };
  },
};
