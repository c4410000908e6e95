// The gateway's own settings (checked only when the gateway module runs).
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { envBoolean, envInt, envList } from '@airlock/common';

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

// A host name, "*.suffix", an IP address or a CIDR range.
const HOST_ENTRY =
  /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^[0-9a-f:.]+(\/\d{1,3})?$/;

export const gatewayConfigSchema = z.object({
  AIRLOCK_ALLOWED_UPSTREAM_HOSTS: envList({ lowerCase: true })
    .refine((entries) => entries.every((e) => HOST_ENTRY.test(e) && (!e.includes('/') || isCidr(e))), {
      message: 'must be comma-separated host names, IP addresses or CIDR ranges',
    })
    .default([])
    .describe(
      'comma-separated upstream host names and IP ranges (CIDR) the gateway may call; required with AIRLOCK_AIRGAPPED and when NODE_ENV=production; unset (development): any host, private ranges included, with a start-up warning',
    ),
  AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: envBoolean()
    .default(false)
    .describe('allow upstreams on loopback addresses (127.0.0.0/8, ::1); development and tests only'),
  AIRLOCK_GATEWAY_RETRIES: envInt(0, 5)
    .default(2)
    .describe('retries per upstream on connect errors and 429/502/503, with exponential backoff'),
  AIRLOCK_GATEWAY_RETRY_BACKOFF_MS: envInt(0, 10_000)
    .default(100)
    .describe('first retry delay; doubles each retry'),
  AIRLOCK_GATEWAY_BREAKER_VOLUME: envInt(1, 1000)
    .default(5)
    .describe('failed calls within the rolling window before an upstream circuit breaker may open'),
  AIRLOCK_GATEWAY_BREAKER_ERROR_PERCENT: envInt(1, 100)
    .default(50)
    .describe('failure percentage (over the rolling window) that opens an upstream circuit breaker'),
  AIRLOCK_GATEWAY_BREAKER_RESET_MS: envInt(0, 600_000)
    .default(30_000)
    .describe('how long an open circuit breaker waits before letting one trial request through'),
  AIRLOCK_GATEWAY_DEFAULT_MAX_TOKENS: envInt(1, 1_000_000)
    .default(1024)
    .describe('completion tokens reserved against token limits when a request sets no max_tokens'),
  AIRLOCK_GATEWAY_FAILED_AUTH_PER_MINUTE: envInt(1, 100_000)
    .default(30)
    .describe('failed authentications per client IP per minute before that IP gets 429'),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Defaults, for tests and callers that build the module by hand. */
export function gatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...gatewayConfigSchema.parse({}), ...overrides };
}
