import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '@airlock/common';
import { gatewayConfigSchema } from '../src/config.js';
import { startGateway } from './harness.js';

// The start-up tests clone a database per gateway: seconds on a loaded machine, hence their
// explicit timeouts.
describe('gateway config', () => {
  it('has safe defaults: no loopback upstreams, two retries, no host allowlist', () => {
    const config = parseConfig(gatewayConfigSchema, {});
    expect(config.AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS).toBe(false);
    expect(config.AIRLOCK_GATEWAY_RETRIES).toBe(2);
    expect(config.AIRLOCK_ALLOWED_UPSTREAM_HOSTS).toEqual([]);
  });

  it('reads the allowlist as names, wildcards, addresses and ranges', () => {
    const config = parseConfig(gatewayConfigSchema, {
      AIRLOCK_ALLOWED_UPSTREAM_HOSTS: 'vllm.internal, *.corp.example,10.0.0.0/8,fd00::/8,192.168.1.5',
    });
    expect(config.AIRLOCK_ALLOWED_UPSTREAM_HOSTS).toEqual([
      'vllm.internal',
      '*.corp.example',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.5',
    ]);
  });

  it('refuses a malformed allowlist entry with one line naming the setting', () => {
    expect(() =>
      parseConfig(
        gatewayConfigSchema,
        { AIRLOCK_ALLOWED_UPSTREAM_HOSTS: 'http://x/,10.0.0.0/99' },
        'gateway config',
      ),
    ).toThrow(/^invalid gateway config: AIRLOCK_ALLOWED_UPSTREAM_HOSTS: must be comma-separated/);
  });

  it('refuses the loopback switch in production', async () => {
    await expect(
      startGateway({
        env: {
          NODE_ENV: 'production',
          AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'true',
          AIRLOCK_SHUTDOWN_DELAY_SECONDS: '0',
        },
      }),
    ).rejects.toThrow(/AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: is refused when NODE_ENV=production/);
  }, 30_000);

  it('refuses production without named upstream hosts, with a message that says what to set', async () => {
    await expect(
      startGateway({
        env: {
          NODE_ENV: 'production',
          AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'false',
          AIRLOCK_SHUTDOWN_DELAY_SECONDS: '0',
        },
      }),
    ).rejects.toThrow(
      /AIRLOCK_ALLOWED_UPSTREAM_HOSTS: is required when NODE_ENV=production \(name the upstream hosts/,
    );
  }, 30_000);

  it('warns at start-up, outside production, that without a list private ranges are reachable', async () => {
    const open = await startGateway();
    const named = await startGateway({ env: { AIRLOCK_ALLOWED_UPSTREAM_HOSTS: 'api.openai.com' } });
    try {
      expect(open.logs()).toMatch(
        /"level":"warn".*AIRLOCK_ALLOWED_UPSTREAM_HOSTS is unset: .*private ranges/,
      );
      expect(named.logs()).not.toContain('AIRLOCK_ALLOWED_UPSTREAM_HOSTS is unset');
    } finally {
      await Promise.all([open.stop(), named.stop()]);
    }
  }, 30_000);
});
