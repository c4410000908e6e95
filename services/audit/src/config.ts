// The audit service's own settings (checked only when the audit module runs): ingest and
// retention tuning. The defaults suit production; tests pass smaller ones as module options.
import { envBoolean, envInt } from '@airlock/common';
import { z } from 'zod';

export const auditConfigSchema = z.object({
  AIRLOCK_AUDIT_INGEST_BATCH_SIZE: envInt(1, 10_000)
    .default(1_000)
    .describe('about how many audit events one read of the Redis Stream takes, stored as one batch'),
  AIRLOCK_AUDIT_INGEST_BLOCK_MS: envInt(10, 60_000)
    .default(2_000)
    .describe('how long one read of the stream waits for new events (also how fast a stop is noticed)'),
  AIRLOCK_AUDIT_CLAIM_IDLE_MS: envInt(1_000, 3_600_000)
    .default(60_000)
    .describe('an event another replica read but has not stored for this long is taken over (XAUTOCLAIM)'),
  AIRLOCK_AUDIT_CLAIM_EVERY_MS: envInt(100, 600_000)
    .default(10_000)
    .describe('how often each replica looks for such events'),
  AIRLOCK_AUDIT_READ_LEGACY_STREAM: envBoolean()
    .default(true)
    .describe(
      'also read airlock:audit:events, the single-event stream that gateways before batched publishing write; turn off once no such replica runs and that stream is empty',
    ),
  AIRLOCK_AUDIT_RETENTION_INTERVAL_MINUTES: envInt(1, 24 * 60)
    .default(60)
    .describe("how often retention deletes events older than each org's policy keeps them"),
});

export type AuditConfig = z.output<typeof auditConfigSchema>;

/** Defaults, for tests and callers that build the module by hand. */
export function auditConfig(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return { ...auditConfigSchema.parse({}), ...overrides };
}
