import { ConfigError, redisReadyOrTimeout, type AirlockModule } from '@airlock/common';
import { Router } from 'express';
import { gatewayConfigSchema, type GatewayConfig } from './config.js';
import { createGatewayMetrics } from './metrics.js';
import type { GatewayContext } from './routes/context.js';
import { accessExplainRouter } from './routes/access-explain.js';
import { gatewayRoutes } from './routes/index.js';
import { createFailedAuthGuard } from './store/failed-auth.js';
import { createLimitStore } from './store/limits.js';
import { currentPolicyUpstreams } from './store/policy-upstreams.js';

import { UpstreamClient, type RouteTarget } from './upstreams/client.js';
import { DestinationPolicy } from './upstreams/destinations.js';

/** Successful /v1 calls logged one in this many (errors always). */
export const ACCESS_LOG_SAMPLE_V1 = 100;

/** The gateway service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const gatewayModule: AirlockModule<GatewayConfig> = {
  name: 'gateway',
  routePrefixes: ['/v1', '/api/v1/access'],
  configSchema: gatewayConfigSchema,
  // Model calls query through db.sql; only the access explainer uses Prisma.
  prisma: 'on-demand',
  init(deps) {
    const config = deps.moduleConfig ?? gatewayConfigSchema.parse({});
    // Air-gapped means no destination is implicit: refuse to start without the list.
    if (deps.config.AIRLOCK_AIRGAPPED && config.AIRLOCK_ALLOWED_UPSTREAM_HOSTS.length === 0) {
      throw new ConfigError(
        'invalid gateway config: AIRLOCK_ALLOWED_UPSTREAM_HOSTS: is required when AIRLOCK_AIRGAPPED=true',
      );
    }
    if (deps.config.NODE_ENV === 'production' && config.AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS) {
      throw new ConfigError(
        'invalid gateway config: AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: is refused when NODE_ENV=production',
      );
    }
    if (config.AIRLOCK_ALLOWED_UPSTREAM_HOSTS.length === 0) {
      // Without a list, any policy admin can point an upstream at a private address of this
      // network (only loopback and link-local/metadata are refused): production must name them.
      if (deps.config.NODE_ENV === 'production') {
        throw new ConfigError(
          'invalid gateway config: AIRLOCK_ALLOWED_UPSTREAM_HOSTS: is required when NODE_ENV=production ' +
            '(name the upstream hosts or CIDR ranges the gateway may call, e.g. api.openai.com,10.20.0.0/16)',
        );
      }
      deps.logger.warn(
        'AIRLOCK_ALLOWED_UPSTREAM_HOSTS is unset: policy upstreams may reach any host, private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) included',
      );
    }
    const destinations = new DestinationPolicy({
      allowlist: config.AIRLOCK_ALLOWED_UPSTREAM_HOSTS,
      allowLoopback: config.AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS,
    });
    const upstreams = new UpstreamClient({
      keyring: deps.keyring,
      logger: deps.logger,
      metrics: deps.metrics,
      destinations,
      retries: config.AIRLOCK_GATEWAY_RETRIES,
      backoffMs: config.AIRLOCK_GATEWAY_RETRY_BACKOFF_MS,
      breakers: {
        volumeThreshold: config.AIRLOCK_GATEWAY_BREAKER_VOLUME,
        errorThresholdPercentage: config.AIRLOCK_GATEWAY_BREAKER_ERROR_PERCENT,
        resetTimeoutMs: config.AIRLOCK_GATEWAY_BREAKER_RESET_MS,
      },
    });
    // The gateway's own Redis connection, auto-pipelined: limit checks of concurrent requests
    // go out in one write per event-loop tick instead of one system call each. Like the shared
    // client it fails fast while disconnected (no offline queue), so limits fail closed at once.
    const redis = deps.redis.kind === 'redis' ? deps.redis.duplicate() : deps.redis.client;
    if (redis !== deps.redis.client) {
      Object.assign(redis.options, { enableAutoPipelining: true, enableOfflineQueue: false });
    }
    const limits = createLimitStore(redis, (e) =>
      deps.logger.warn({ err: e.message }, 'token settlements dropped: Redis unavailable'),
    );
    const ctx: GatewayContext = {
      config,
      logger: deps.logger,
      redis,
      audit: deps.audit,
      access: deps.access,
      policies: deps.access.policies,
      limits,
      failedAuth: createFailedAuthGuard(redis, config.AIRLOCK_GATEWAY_FAILED_AUTH_PER_MINUTE),
      upstreams,
      metrics: createGatewayMetrics(deps.metrics),
      clock: deps.clock,
    };
    // Air-gapped: name, once at start, every policy upstream the gateway will refuse, so an
    // operator sees a policy that cannot work before members do. Requests to them get 403.
    async function reportRefusedUpstreams(): Promise<void> {
      const refused = (await currentPolicyUpstreams(deps.db)).filter(
        (u) => !upstreams.destinationAllowed({ baseUrl: u.baseUrl } as RouteTarget),
      );
      if (refused.length > 0) {
        deps.logger.warn(
          { count: refused.length, upstreams: refused.slice(0, 50).map((u) => `${u.orgId}/${u.name}`) },
          'air-gapped: policy upstreams outside AIRLOCK_ALLOWED_UPSTREAM_HOSTS will be refused',
        );
      }
    }

    const routes = gatewayRoutes(ctx);
    return {
      router: Router().use(routes.router, accessExplainRouter(ctx, deps.db)),
      // /v1 model calls skip Express's router (same middleware and handlers): see common's http/direct-routes.ts.
      directRoutes: routes.direct,
      // Every model call has its own audit event: one access line per 100 successes is enough.
      accessLogSampling: [{ prefix: '/v1/', every: ACCESS_LOG_SAMPLE_V1 }],
      async start() {
        // Give Redis one command timeout to connect, so the first requests are not refused;
        // start anyway if it is down (the gateway serves /healthz and refuses model requests).
        await deps.redis.ping().catch(() => undefined);
        await redisReadyOrTimeout(redis, deps.config.AIRLOCK_REDIS_COMMAND_TIMEOUT_MS);
        if (deps.config.AIRLOCK_AIRGAPPED) await reportRefusedUpstreams();
      },
      async stop() {
        await upstreams.close();
        await limits.flush();
        if (redis !== deps.redis.client) redis.disconnect();
      },
    };
  },
};
