import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '@airlock/common';
import { rbacConfigSchema, secureCookiesFor } from '../src/config.js';

describe('rbac config', () => {
  it('leaves the bootstrap token disabled when unset', () => {
    expect(parseConfig(rbacConfigSchema, {}).AIRLOCK_BOOTSTRAP_TOKEN).toBeUndefined();
  });

  it('refuses a bootstrap token shorter than 32 characters, naming the variable', () => {
    expect(() => parseConfig(rbacConfigSchema, { AIRLOCK_BOOTSTRAP_TOKEN: 'short' }, 'rbac config')).toThrow(
      /invalid rbac config: AIRLOCK_BOOTSTRAP_TOKEN: must be at least 32 characters/,
    );
  });

  it('uses Secure cookies whenever the public URL is https', () => {
    expect(secureCookiesFor('https://airlock.example')).toBe(true);
    expect(secureCookiesFor('http://localhost:8080')).toBe(false);
  });
});
