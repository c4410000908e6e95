import { Router } from 'express';
import {
  authenticate,
  createAdminAddressCheck,
  createPolicyReader,
  createPrincipalResolver,
  unknownRouteRouter,
  platformAdminOrBootstrap,
  type AirlockModule,
  type ModuleDeps,
} from '@airlock/common';
import { identityConfigSchema, secureCookiesFor, type IdentityConfig } from './config.js';
import type { IdentityContext } from './context.js';
import { deviceRoutes } from './routes/device.js';
import { localLoginRoutes } from './routes/local-login.js';
import { loginRoutes } from './routes/login.js';
import { meRoutes } from './routes/me.js';
import { scimRoutes } from './routes/scim.js';
import { scimTokenRoutes } from './routes/scim-tokens.js';
import { sessionRoutes } from './routes/sessions.js';
import { ssoConnectionRoutes } from './routes/sso-connections.js';
import { ssoTestRoutes } from './routes/sso-test.js';
import { tokenRoutes } from './routes/tokens.js';
import { ensurePlatformAdmin, PLATFORM_ADMIN_USERNAME } from './store/platform-admin.js';

const ROUTE_PREFIXES = [
  '/auth',
  '/api/v1/me',
  '/api/v1/tokens',
  '/api/v1/sso',
  '/scim/v2',
  '/oauth',
  '/device',
] as const;

/** Builds the shared context: resolver, cookie mode, authentication middleware. */
export function identityContext(deps: ModuleDeps & { moduleConfig: IdentityConfig }): IdentityContext {
  const resolver = createPrincipalResolver({
    db: deps.db,
    redis: deps.redis,
    logger: deps.logger,
    clock: deps.clock,
  });
  const policies = createPolicyReader({
    db: deps.db,
    redis: deps.redis,
    logger: deps.logger,
    clock: deps.clock,
  });
  const adminAddresses = createAdminAddressCheck({ db: deps.db, policies, logger: deps.logger });
  const secureCookies = secureCookiesFor(deps.config.AIRLOCK_PUBLIC_URL);
  const anyCredential = authenticate({
    resolver,
    accept: ['session', 'api_token'],
    secureCookies,
    adminAddresses,
  });
  return {
    ...deps,
    settings: deps.moduleConfig,
    resolver,
    policies,
    secureCookies,
    anyCredential,
    sessionOnly: authenticate({ resolver, accept: ['session'], secureCookies, adminAddresses }),
    platformAdmin: platformAdminOrBootstrap({
      bootstrapToken: deps.moduleConfig.AIRLOCK_BOOTSTRAP_TOKEN,
      authenticate: anyCredential,
    }),
  };
}

/** The identity service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const identityModule: AirlockModule<IdentityConfig> = {
  name: 'identity',
  routePrefixes: ROUTE_PREFIXES,
  configSchema: identityConfigSchema,
  init(deps) {
    const ctx = identityContext(deps);
    const router = Router();
    router.use(meRoutes(ctx));
    router.use(loginRoutes(ctx));
    router.use(localLoginRoutes(ctx));
    router.use(sessionRoutes(ctx));
    router.use(tokenRoutes(ctx));
    router.use(ssoTestRoutes(ctx));
    router.use(ssoConnectionRoutes(ctx));
    router.use(scimTokenRoutes(ctx));
    router.use(scimRoutes(ctx));
    router.use(deviceRoutes(ctx));
    // A path under our prefixes that no route matches: a 404 naming this module.
    router.use(unknownRouteRouter('identity', ROUTE_PREFIXES));
    return {
      router,
      async start() {
        await ctx.resolver.start();
        await ctx.policies.start();
      },
      async stop() {
        await ctx.policies.stop();
        await ctx.resolver.stop();
      },
      async seedDemo() {
        const password = await ensurePlatformAdmin(deps.db);
        if (!password) return [];
        return [
          'Break-glass platform admin created. Shown once; store it now:',
          `  username: ${PLATFORM_ADMIN_USERNAME}`,
          `  password: ${password}`,
          'TOTP enrolment is required at first sign-in.',
        ];
      },
    };
  },
};
