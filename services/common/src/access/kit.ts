// What every service authorizes with, built once per process and passed to the modules in
// ModuleDeps.access: one principal resolver (one cache, one invalidation subscriber), one
// policy reader, the admin IP allowlist check, the credential middlewares and authorize().
import type { RequestHandler } from 'express';
import { createAdminAddressCheck, type AdminAddressCheck } from './admin-addresses.js';
import { createAuthorize, type Authorize } from './authorize.js';
import { platformAdminOrBootstrap } from '../auth/bootstrap.js';
import { authenticate } from '../auth/middleware.js';
import { createPrincipalResolver, type PrincipalResolver } from '../auth/resolver.js';
import type { Db } from '../db/client.js';
import type { AirlockError } from '../errors.js';
import { secureCookiesFor } from '../http/cookies.js';
import type { Logger } from '../logger.js';
import { createPolicyReader, type PolicyReader } from '../policy/reader.js';
import type { RedisHandle } from '../redis/client.js';

export type Credential = 'api_token' | 'session';

export interface Access {
  resolver: PrincipalResolver;
  policies: PolicyReader;
  adminAddresses: AdminAddressCheck;
  /** Secure (HTTPS) cookies: decided once from AIRLOCK_PUBLIC_URL. */
  secureCookies: boolean;
  /** Requires one of these credentials (401 otherwise); authorize() follows on every route. */
  authenticate(accept: readonly Credential[]): RequestHandler;
  /** Platform routes: the bootstrap token, or a platform admin's session. */
  platformAdmin(options: {
    bootstrapToken: string | undefined;
    forbidden?: () => AirlockError;
  }): RequestHandler;
  authorize: Authorize;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAccess({
  db,
  redis,
  logger,
  clock,
  publicUrl,
}: {
  db: Db;
  redis: RedisHandle;
  logger: Logger;
  clock: () => Date;
  publicUrl: string;
}): Access {
  const resolver = createPrincipalResolver({ db, redis, logger, clock });
  const policies = createPolicyReader({ db, redis, logger, clock });
  const adminAddresses = createAdminAddressCheck({ db, policies, logger });
  const secureCookies = secureCookiesFor(publicUrl);
  const credentials = new Map<string, RequestHandler>();
  const authenticateWith = (accept: readonly Credential[]): RequestHandler => {
    const key = [...accept].sort().join(',');
    let handler = credentials.get(key);
    if (!handler) {
      handler = authenticate({ resolver, accept, secureCookies, adminAddresses: 'authorize' });
      credentials.set(key, handler);
    }
    return handler;
  };
  const platformCredential = authenticate({
    resolver,
    accept: ['session', 'api_token'],
    secureCookies,
    adminAddresses,
  });
  let started: Promise<void> | undefined;
  return {
    resolver,
    policies,
    adminAddresses,
    secureCookies,
    authenticate: authenticateWith,
    platformAdmin: ({ bootstrapToken, forbidden }) =>
      platformAdminOrBootstrap({
        bootstrapToken,
        // The allowlist is checked here, before the platform-admin refusal: an org member
        // outside their org's allowlist hears about the allowlist first, as on every admin
        // route (authorize() after this checks it again for an org-bound platform admin).
        authenticate: platformCredential,
        forbidden,
      }),
    authorize: createAuthorize(adminAddresses),
    // Idempotent: runModules starts it, and a test may too.
    start() {
      started ??= (async () => {
        await resolver.start();
        await policies.start();
      })();
      return started;
    },
    async stop() {
      if (!started) return;
      started = undefined;
      await policies.stop();
      await resolver.stop();
    },
  };
}
