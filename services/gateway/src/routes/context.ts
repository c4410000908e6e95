// What the gateway's routes are built from (module.ts assembles it).
import type { Access, AuditPublisher, Logger, PolicyReader, Redis } from '@airlock/common';
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
  /** The process's access kit (ModuleDeps.access): credentials and authorize(). */
  access: Access;
  /** access.policies: the org policies the gate decides on. */
  policies: PolicyReader;
  limits: LimitStore;
  failedAuth: FailedAuthGuard;
  upstreams: UpstreamClient;
  metrics: GatewayMetrics;
  clock: () => Date;
}
