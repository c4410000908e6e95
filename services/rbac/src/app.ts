// The rbac router and its background parts, built from the module deps (no singletons).
import {
  createPolicyReader,
  createPrincipalResolver,
  createUpstreamKeyBox,
  type ModuleDeps,
  type PolicyReader,
  type PrincipalResolver,
} from '@airlock/common';
import { Router } from 'express';
import { secureCookiesFor, type RbacConfig } from './config.js';
import type { RbacContext } from './routes/context.js';
import { requireAuthenticated, requireOrgAccess } from './routes/guards.js';
import { memberRoutes } from './routes/members.js';
import { orgRoutes } from './routes/orgs.js';
import { pendingOwnerRoutes } from './routes/pending-owners.js';
import { policyRoutes } from './routes/policy.js';
import { memberStore } from './store/members.js';
import { orgStore } from './store/orgs.js';
import { pendingGrantStore } from './store/pending-grants.js';
import { policyStore } from './store/policies.js';
import { userStore } from './store/users.js';

export interface Rbac {
  router: Router;
  context: RbacContext;
  resolver: PrincipalResolver;
  policyReader: PolicyReader;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createRbac(deps: ModuleDeps & { moduleConfig: RbacConfig }): Rbac {
  const { db, redis, logger, clock } = deps;
  const resolver = createPrincipalResolver({ db, redis, logger, clock });
  const policyReader = createPolicyReader({ db, redis, logger, clock });
  const context: RbacContext = {
    config: deps.moduleConfig,
    secureCookies: secureCookiesFor(deps.config.AIRLOCK_PUBLIC_URL),
    logger,
    redis,
    audit: deps.audit,
    resolver,
    policyReader,
    keys: createUpstreamKeyBox(deps.keyring),
    orgs: orgStore(db),
    members: memberStore(db),
    policies: policyStore(db),
    users: userStore(db),
    grants: pendingGrantStore(db),
  };
  const router = Router();
  router.use(pendingOwnerRoutes(context));
  router.use(orgRoutes(context));
  // Every member and policy route: authenticated, bound to an org, inside its IP allowlist.
  for (const prefix of ['/api/v1/members', '/api/v1/policy']) {
    router.use(prefix, requireAuthenticated(context), requireOrgAccess(context));
  }
  router.use(memberRoutes(context));
  router.use(policyRoutes(context));
  return {
    router,
    context,
    resolver,
    policyReader,
    async start() {
      await resolver.start();
      await policyReader.start();
    },
    async stop() {
      await policyReader.stop();
      await resolver.stop();
    },
  };
}
