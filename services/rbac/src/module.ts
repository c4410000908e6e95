import type { AirlockModule } from '@airlock/common';
import { createRbac } from './app.js';
import { rbacConfigSchema, type RbacConfig } from './config.js';
import { DEMO_ORG_SLUG, ensureDemoOrg } from './store/demo-org.js';

/** The rbac service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const rbacModule: AirlockModule<RbacConfig> = {
  name: 'rbac',
  routePrefixes: ['/api/v1/orgs', '/api/v1/members', '/api/v1/policy'],
  configSchema: rbacConfigSchema,
  init(deps) {
    const rbac = createRbac(deps);
    return {
      router: rbac.router,
      start: () => rbac.start(),
      stop: () => rbac.stop(),
      async seedDemo() {
        return (await ensureDemoOrg(deps.db))
          ? [`Demo org created: ${DEMO_ORG_SLUG}`] // the demo module's lines say what it offers
          : [];
      },
    };
  },
};
