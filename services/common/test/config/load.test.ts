import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/config/load.js';
import { loadBaseConfig, loadKeyring } from '../../src/lifecycle/runtime.js';
import { TEST_KEY } from '../helpers.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('base config', () => {
  it('applies defaults when nothing is set', () => {
    const c = loadBaseConfig({});
    expect(c.NODE_ENV).toBe('development');
    expect(c.PORT).toBe(8080);
    expect(c.AIRLOCK_DATA_DIR).toBe('.data');
    expect(c.AIRLOCK_CORS_ORIGINS).toEqual([]);
  });

  it('lets an unset public URL follow the port, and never overrides a set one', () => {
    expect(loadBaseConfig({}).AIRLOCK_PUBLIC_URL).toBe('http://localhost:8080');
    expect(loadBaseConfig({ PORT: '9000' }).AIRLOCK_PUBLIC_URL).toBe('http://localhost:9000');
    expect(loadBaseConfig({ PORT: '9000', AIRLOCK_PUBLIC_URL: '' }).AIRLOCK_PUBLIC_URL).toBe(
      'http://localhost:9000',
    );
    expect(
      loadBaseConfig({ PORT: '9000', AIRLOCK_PUBLIC_URL: 'https://airlock.acme.example' }).AIRLOCK_PUBLIC_URL,
    ).toBe('https://airlock.acme.example');
  });

  it('parses lists, numbers and booleans', () => {
    const c = loadBaseConfig({
      PORT: '9000',
      AIRLOCK_CORS_ORIGINS: 'https://a.example, https://b.example',
      AIRLOCK_AIRGAPPED: 'true',
    });
    expect(c.PORT).toBe(9000);
    expect(c.AIRLOCK_CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.AIRLOCK_AIRGAPPED).toBe(true);
  });

  it('treats an empty value as unset', () => {
    expect(loadBaseConfig({ PORT: '', REDIS_URL: '' }).PORT).toBe(8080);
  });

  it('names the variable and the problem in one line', () => {
    const e = errorOf(() => loadBaseConfig({ PORT: 'eighty' }));
    expect(e.message).toMatch(/^invalid config: PORT: /);
    expect(e.message).not.toContain('\n');
  });

  it('rejects a database URL of the wrong scheme', () => {
    expect(errorOf(() => loadBaseConfig({ DATABASE_URL: 'mysql://x' })).message).toContain(
      'DATABASE_URL: must be a postgres:// or postgresql:// URL',
    );
  });

  it('rejects an unknown NODE_ENV and a bad boolean', () => {
    expect(errorOf(() => loadBaseConfig({ NODE_ENV: 'prod' })).message).toContain('NODE_ENV');
    expect(errorOf(() => loadBaseConfig({ AIRLOCK_AIRGAPPED: 'maybe' })).message).toContain(
      'AIRLOCK_AIRGAPPED: must be true or false',
    );
  });

  it('requires Postgres, Redis and the encryption key in production, listing all three', () => {
    const e = errorOf(() => loadBaseConfig({ NODE_ENV: 'production' }));
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'AIRLOCK_ENCRYPTION_KEY']) {
      expect(e.message).toContain(`${key}: is required when NODE_ENV=production`);
    }
  });

  it('accepts a complete production config', () => {
    const c = loadBaseConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://u@db/airlock',
      REDIS_URL: 'rediss://cache:6380',
      AIRLOCK_ENCRYPTION_KEY: TEST_KEY,
    });
    expect(c.NODE_ENV).toBe('production');
  });

  it('reports a malformed encryption key by name without echoing it', () => {
    const config = loadBaseConfig({ AIRLOCK_ENCRYPTION_KEY: 'c2hvcnQ=' });
    const e = errorOf(() => loadKeyring(config));
    expect(e.message).toMatch(/^invalid config: AIRLOCK_ENCRYPTION_KEY: /);
    expect(e.message).not.toContain('c2hvcnQ');
  });
});
