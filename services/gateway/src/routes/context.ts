// What the gateway's routes are built from (module.ts assembles it).
import type { AuditPublisher, Logger, PolicyReader, PrincipalResolver, Redis } from '@airlock/common';
import type { GatewayConfig } from '../config.js';
import type { GatewayMetrics } from '../metrics.js';
import type { FailedAuthGuard } from '../store/failed-auth.js';
import type { LimitStore } from '../store/limits.js';
import type { UpstreamClient } from '../upstreams/client.js';

export interface GatewayContext {
  config: GatewayConfig;
  logger: Logger;
  redis: Redis;
  audit: AuditPublisher;
  resolver: PrincipalResolver;
  policies: PolicyReader;
  limits: LimitStore;
  failedAuth: FailedAuthGuard;
  upstreams: UpstreamClient;
  metrics: GatewayMetrics;
  clock: () => Date;
  secureCookies: boolean;
}
