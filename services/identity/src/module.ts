import { Router } from 'express';
import { unknownRouteRouter, type AirlockModule, type ModuleDeps } from '@airlock/common';
import { identityConfigSchema, type IdentityConfig } from './config.js';
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

/**
 * Builds the shared context from the module deps. The resolver, policy reader, cookie mode and
 * credential middlewares are the process's (deps.access, started before the modules).
 */
export function identityContext(deps: ModuleDeps & { moduleConfig: IdentityConfig }): IdentityContext {
  const { access } = deps;
  return {
    ...deps,
    settings: deps.moduleConfig,
    resolver: access.resolver,
    policies: access.policies,
    secureCookies: access.secureCookies,
    anyCredential: access.authenticate(['session', 'api_token']),
    sessionOnly: access.authenticate(['session']),
    platformAdmin: access.platformAdmin({ bootstrapToken: deps.moduleConfig.AIRLOCK_BOOTSTRAP_TOKEN }),
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
