// The rbac service as a module: its routes over the process's access kit (deps.access), its
// config slice and the demo org. Built from the module deps (no singletons).
import { createUpstreamKeyBox, unknownRouteRouter, type AirlockModule } from '@airlock/common';
import { Router } from 'express';
import { rbacConfigSchema, type RbacConfig } from './config.js';
import type { RbacContext } from './routes/context.js';
import { memberRoutes } from './routes/members.js';
import { orgRoutes } from './routes/orgs.js';
import { pendingOwnerRoutes } from './routes/pending-owners.js';
import { policyRoutes } from './routes/policy.js';
import { DEMO_ORG_SLUG, ensureDemoOrg } from './store/demo-org.js';
import { memberStore } from './store/members.js';
import { orgStore } from './store/orgs.js';
import { pendingGrantStore } from './store/pending-grants.js';
import { policyStore } from './store/policies.js';
import { userStore } from './store/users.js';

export const rbacModule: AirlockModule<RbacConfig> = {
  name: 'rbac',
  routePrefixes: ['/api/v1/orgs', '/api/v1/members', '/api/v1/policy'],
  configSchema: rbacConfigSchema,
  init(deps) {
    const { db } = deps;
    const context: RbacContext = {
      config: deps.moduleConfig,
      logger: deps.logger,
      redis: deps.redis,
      audit: deps.audit,
      access: deps.access,
      keys: createUpstreamKeyBox(deps.keyring),
      orgs: orgStore(db),
      members: memberStore(db),
      policies: policyStore(db),
      users: userStore(db),
      grants: pendingGrantStore(db),
    };
    // Every route declares its credential and ability (routes/doors.ts): no group-wide guard.
    const router = Router();
    router.use(pendingOwnerRoutes(context));
    router.use(orgRoutes(context));
    router.use(memberRoutes(context));
    router.use(policyRoutes(context));
    // Unknown paths under rbac's prefixes: a 404 naming rbac (no prefix-wide door answers them).
    router.use(unknownRouteRouter('rbac', rbacModule.routePrefixes));
    return {
      router,
      async seedDemo() {
        return (await ensureDemoOrg(db))
          ? [`Demo org created: ${DEMO_ORG_SLUG}`] // the demo module's lines say what it offers
          : [];
      },
    };
  },
};
