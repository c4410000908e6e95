// Boots the gateway the way production does (runModules with the gateway module) against a
// fresh test database and a real Redis, with the test kit's captured logger.
import { randomBytes } from 'node:crypto';
import {
  AUTH_INVALIDATION_CHANNEL,
  CACHE_TTL_MS,
  parseKeyring,
  runModules,
  type Keyring,
  type RunningServer,
} from '@airlock/common';
import {
  captureLogger,
  createTestDatabase,
  serverEnv,
  testEnv,
  waitFor,
  type TestDatabase,
} from '@airlock/common/testing';
import { gatewayModule } from '../src/module.js';
import { revokeToken } from './fixtures.js';

export interface GatewayHarness {
  server: RunningServer;
  url: string;
  keyring: Keyring;
  logs(): string;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  redisUrl?: string;
  /** Reuse a database (two gateways on one database and Redis). */
  database?: TestDatabase;
  key?: string;
  /** Serve /v1 through Express only (no lean lane), to compare the two. */
  expressOnly?: boolean;
}

export async function startGateway(
  options: HarnessOptions = {},
): Promise<GatewayHarness & { database: TestDatabase }> {
  const database = options.database ?? (await createTestDatabase());
  const key = options.key ?? randomBytes(32).toString('base64');
  const log = captureLogger({ service: 'gateway-test' });
  const server = await runModules({
    modules: [gatewayModule],
    service: 'gateway',
    logger: log.logger,
    expressOnly: options.expressOnly,
    env: serverEnv(
      database,
      {
        AIRLOCK_ENCRYPTION_KEY: key,
        AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'true', // test upstreams listen on 127.0.0.1
        AIRLOCK_GATEWAY_RETRY_BACKOFF_MS: '5',
        ...options.env,
      },
      options.redisUrl ?? testEnv.redisUrlOrStandIn,
    ),
  }).catch(async (e: unknown) => {
    if (!options.database) await database.drop();
    throw e;
  });
  return {
    server,
    url: server.url,
    database,
    keyring: parseKeyring(key),
    logs: log.text,
    async stop() {
      await server.shutdown();
      if (!options.database) await database.drop();
    },
  };
}

/** POST JSON with a bearer token. */
export async function post(
  url: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * Revokes an API token the way another replica would (the row, then an invalidation over
 * Redis) and waits until this gateway refuses it: bounded below the cache TTL, so that the
 * cache entry's expiry cannot pass for the invalidation.
 */
export async function revokeEverywhere(gw: GatewayHarness, token: string, tokenId: string): Promise<void> {
  await revokeToken(gw.server.runtime.db, tokenId);
  await gw.server.runtime.redis.client.publish(AUTH_INVALIDATION_CHANNEL, JSON.stringify({ type: 'all' }));
  await waitFor(
    async () => (await gw.server.runtime.access.resolver.fromBearer(token)) === null,
    CACHE_TTL_MS / 2,
  );
}
