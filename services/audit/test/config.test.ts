import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from '@airlock/common';
import { auditConfig, auditConfigSchema } from '../src/config.js';
import { auditModule } from '../src/module.js';

describe('audit config slice (AIRLOCK_AUDIT_*)', () => {
  it('is the module config, with the production defaults', () => {
    expect(auditModule.configSchema).toBe(auditConfigSchema);
    expect(auditConfig()).toEqual({
      AIRLOCK_AUDIT_INGEST_BATCH_SIZE: 1_000,
      AIRLOCK_AUDIT_INGEST_BLOCK_MS: 2_000,
      AIRLOCK_AUDIT_CLAIM_IDLE_MS: 60_000,
      AIRLOCK_AUDIT_CLAIM_EVERY_MS: 10_000,
      AIRLOCK_AUDIT_READ_LEGACY_STREAM: true,
      AIRLOCK_AUDIT_RETENTION_INTERVAL_MINUTES: 60,
    });
  });

  it('reads a setting from the environment', () => {
    const c = parseConfig(auditConfigSchema, { AIRLOCK_AUDIT_INGEST_BATCH_SIZE: '250' }, 'audit config');
    expect(c.AIRLOCK_AUDIT_INGEST_BATCH_SIZE).toBe(250);
  });

  it('stops start-up on a value out of range, in one line naming the variable', () => {
    expect(() =>
      parseConfig(auditConfigSchema, { AIRLOCK_AUDIT_INGEST_BATCH_SIZE: '0' }, 'audit config'),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig(auditConfigSchema, { AIRLOCK_AUDIT_CLAIM_IDLE_MS: '10' }, 'audit config'),
    ).toThrow(/^invalid audit config: AIRLOCK_AUDIT_CLAIM_IDLE_MS: /);
  });
});
