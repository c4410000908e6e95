import { notImplementedRouter, type AirlockModule } from '@airlock/common';
import { DEMO_ORG_SLUG, ensureDemoOrg } from './store/demo-org.js';

/** The rbac service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const rbacModule: AirlockModule = {
  name: 'rbac',
  routePrefixes: ['/api/v1/orgs', '/api/v1/members', '/api/v1/policy'],
  init({ db }) {
    return {
      router: notImplementedRouter('rbac', rbacModule.routePrefixes),
      async seedDemo() {
        return (await ensureDemoOrg(db)) ? [`Demo org created: ${DEMO_ORG_SLUG}`] : [];
      },
    };
  },
};
