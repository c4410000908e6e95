import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@airlock/common/testing';
import { DestinationPolicy } from '../../src/upstreams/destinations.js';
import { createTenant, onprem } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('destination rules', () => {
  const open = new DestinationPolicy({ allowlist: [], allowLoopback: false });

  it('refuses link-local and cloud metadata addresses whatever the settings', () => {
    const permissive = new DestinationPolicy({ allowlist: [], allowLoopback: true });
    for (const host of [
      '169.254.169.254',
      '169.254.0.1',
      '[fe80::1]',
      '[fd00:ec2::254]',
      '0.0.0.0',
      '[::ffff:169.254.169.254]',
    ]) {
      expect({ host, verdict: permissive.hostVerdict(host) }).toEqual({ host, verdict: 'refused' });
    }
  });

  it('refuses loopback unless explicitly allowed', () => {
    expect(open.hostVerdict('127.0.0.1')).toBe('refused');
    expect(open.hostVerdict('[::1]')).toBe('refused');
    expect(new DestinationPolicy({ allowlist: [], allowLoopback: true }).hostVerdict('127.0.0.1')).toBe(
      'allowed',
    );
  });

  it('allows private and public hosts when no allowlist is set', () => {
    expect(open.hostVerdict('10.1.2.3')).toBe('allowed');
    expect(open.hostVerdict('vllm.ml.svc.cluster.local')).toBe('allowed');
  });

  it('with an allowlist, allows only listed names, wildcard suffixes and ranges', () => {
    const listed = new DestinationPolicy({
      allowlist: ['vllm.internal', '*.corp.example', '10.0.0.0/8'],
      allowLoopback: false,
    });
    expect(listed.hostVerdict('vllm.internal')).toBe('allowed');
    expect(listed.hostVerdict('gpu1.corp.example')).toBe('allowed');
    expect(listed.hostVerdict('10.9.8.7')).toBe('allowed');
    expect(listed.hostVerdict('11.0.0.1')).toBe('refused');
    expect(listed.hostVerdict('api.openai.com')).toBe('lookup'); // decided on the resolved address
    expect(
      new DestinationPolicy({ allowlist: ['vllm.internal'], allowLoopback: false }).hostVerdict(
        'api.openai.com',
      ),
    ).toBe('refused');
  });

  it('refuses, in the socket lookup, a name that resolves to a forbidden address', async () => {
    const lookup = open.lookupFor('localhost');
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      (lookup as unknown as (h: string, o: object, cb: (e: NodeJS.ErrnoException | null) => void) => void)(
        'localhost',
        {},
        resolve,
      ),
    );
    expect(error?.code).toBe('EAIRLOCKREFUSED');
  });
});

describe('air-gapped gateway', () => {
  let database: TestDatabase;
  let gw: GatewayHarness;
  let watched: FakeUpstream;

  beforeAll(async () => {
    [database, watched] = await Promise.all([createTestDatabase(), startFakeUpstream()]);
    gw = await startGateway({
      database,
      env: { AIRLOCK_AIRGAPPED: 'true', AIRLOCK_ALLOWED_UPSTREAM_HOSTS: 'vllm.internal,10.0.0.0/8' },
    });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), watched?.close()]);
    await database?.drop();
  });

  it('refuses to start without an allowlist of upstream hosts', async () => {
    await expect(startGateway({ database, env: { AIRLOCK_AIRGAPPED: 'true' } })).rejects.toThrow(
      /AIRLOCK_ALLOWED_UPSTREAM_HOSTS: is required when AIRLOCK_AIRGAPPED=true/,
    );
  });

  it('refuses a route to an unlisted host and never opens a connection to it', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('outside', watched.baseUrl)],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat);
    expect(res.status).toBe(403);
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('destination_refused');
    expect(error.message).toContain('not an allowed destination');
    await new Promise((r) => setTimeout(r, 100));
    expect(watched.connections).toBe(0);
  });

  it('refuses an unlisted name whose address is outside the allowed ranges, before dialling', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('by-name', watched.baseUrl.replace('127.0.0.1', 'localhost'))],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat);
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 100));
    expect(watched.connections).toBe(0);
  });

  it('names, at start, every policy upstream it will refuse', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('far-away', watched.baseUrl), onprem('inside', 'http://vllm.internal:8000/v1')],
    });
    const again = await startGateway({
      database,
      env: { AIRLOCK_AIRGAPPED: 'true', AIRLOCK_ALLOWED_UPSTREAM_HOSTS: 'vllm.internal' },
    });
    try {
      expect(again.logs()).toContain(
        'policy upstreams outside AIRLOCK_ALLOWED_UPSTREAM_HOSTS will be refused',
      );
      expect(again.logs()).toContain(`${t.orgId}/far-away`);
      expect(again.logs()).not.toContain(`${t.orgId}/inside`);
      expect(watched.connections).toBe(0);
    } finally {
      await again.stop();
    }
  });

  it('routes to a listed host', async () => {
    const allowed = await startGateway({
      database,
      env: { AIRLOCK_AIRGAPPED: 'true', AIRLOCK_ALLOWED_UPSTREAM_HOSTS: '127.0.0.1' },
    });
    try {
      const t = await createTenant(allowed.server.runtime.db, {
        models: { allow: { member: ['*'] } },
        upstreams: [onprem('inside', watched.baseUrl)],
      });
      expect((await post(`${allowed.url}/v1/chat/completions`, t.token, chat)).status).toBe(200);
      expect(watched.connections).toBe(1);
    } finally {
      await allowed.stop();
    }
  });
});

describe('without the loopback switch', () => {
  let gw: GatewayHarness;
  let watched: FakeUpstream;

  beforeAll(async () => {
    [gw, watched] = await Promise.all([
      startGateway({ env: { AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'false' } }),
      startFakeUpstream(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), watched?.close()]);
  });

  it('refuses loopback and metadata upstreams an admin configured, without connecting', async () => {
    const t = await createTenant(gw.server.runtime.db, {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('loop', watched.baseUrl), onprem('metadata', 'http://169.254.169.254/latest')],
    });
    const res = await post(`${gw.url}/v1/chat/completions`, t.token, chat);
    expect(res.status).toBe(403);
    expect(watched.connections).toBe(0);
  });
});
