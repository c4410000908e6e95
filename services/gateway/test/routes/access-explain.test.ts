import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PolicyInput, Role } from '@airlock/common';
import { createPlatformAdmin } from '@airlock/common/testing';
import { addMemberWithToken, cloud, createTenant, onprem, type Tenant } from '../fixtures.js';
import { json, startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

type Explained = {
  allowed: boolean;
  model: string;
  resolvedModel: string;
  role: string;
  upstream: { name: string; kind: string; cloud: boolean } | null;
  steps: { id: string; outcome: string; message: string; code?: string }[];
  code?: string;
};

const STEP_ORDER = [
  'role_ability',
  'model_allowed',
  'alias',
  'privacy_mode',
  'destination',
  'limits',
  'upstream_available',
];
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('POST /api/v1/access/explain', () => {
  let gw: GatewayHarness;
  let upstream: FakeUpstream;
  let broken: FakeUpstream;
  const db = () => gw.server.runtime.db;

  beforeAll(async () => {
    [gw, upstream, broken] = await Promise.all([
      startGateway({
        env: {
          AIRLOCK_GATEWAY_RETRIES: '0',
          AIRLOCK_GATEWAY_BREAKER_VOLUME: '2',
          AIRLOCK_GATEWAY_BREAKER_RESET_MS: '600000',
        },
      }),
      startFakeUpstream(),
      startFakeUpstream(),
    ]);
    broken.behave((_req, res) => json(res, 500, { error: { message: 'boom' } }));
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), upstream?.close(), broken?.close()]);
  });

  const explain = async (token: string, body: unknown) => {
    const res = await post(`${gw.url}/api/v1/access/explain`, token, body);
    return { status: res.status, body: (await res.json()) as Explained & { error?: { code: string } } };
  };
  const call = async (token: string, model: string) => {
    const res = await post(`${gw.url}/v1/chat/completions`, token, chat(model));
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: body.error?.code };
  };

  // Each refusal class: the policy, who asks, for which model, what happens before (to fill a
  // counter or open a breaker), and the step that must fail.
  const cases: {
    name: string;
    role: Role;
    model: string;
    step: string;
    policy: () => PolicyInput;
    before?: (t: Tenant) => Promise<void>;
  }[] = [
    {
      name: 'a viewer, whose role uses no model',
      role: 'viewer',
      model: 'llama',
      step: 'role_ability',
      policy: () => ({ models: { allow: { member: ['*'] } }, upstreams: [onprem('vllm', upstream.baseUrl)] }),
    },
    {
      name: "a model outside the role's list",
      role: 'member',
      model: 'gpt-4o',
      step: 'model_allowed',
      policy: () => ({
        models: { allow: { member: ['llama*'] } },
        upstreams: [onprem('vllm', upstream.baseUrl)],
      }),
    },
    {
      name: 'a model no upstream serves',
      role: 'member',
      model: 'nobody-serves-this',
      step: 'alias',
      policy: () => ({
        models: { allow: { member: ['*'] } },
        upstreams: [onprem('vllm', upstream.baseUrl, { models: ['llama*'] })],
      }),
    },
    {
      name: 'a cloud-only model in offline mode',
      role: 'member',
      model: 'gpt-4o',
      step: 'privacy_mode',
      policy: () => ({
        privacyMode: 'offline',
        models: { allow: { member: ['*'] } },
        upstreams: [cloud('openai', upstream.baseUrl)],
      }),
    },
    {
      name: 'an upstream that is not an allowed destination',
      role: 'member',
      model: 'llama',
      step: 'destination',
      policy: () => ({
        models: { allow: { member: ['*'] } },
        upstreams: [onprem('metadata', 'http://169.254.169.254/v1')],
      }),
    },
    {
      name: 'a spent per-user request limit',
      role: 'member',
      model: 'llama',
      step: 'limits',
      policy: () => ({
        models: { allow: { member: ['*'] } },
        upstreams: [onprem('vllm', upstream.baseUrl)],
        limits: { perUser: { requestsPerMinute: 1 } },
      }),
      before: async (t) => expect((await call(t.token, 'llama')).status).toBe(200),
    },
    {
      name: 'an upstream whose circuit is open',
      role: 'member',
      model: 'llama',
      step: 'upstream_available',
      policy: () => ({
        models: { allow: { member: ['*'] } },
        upstreams: [onprem('brittle', broken.baseUrl)],
      }),
      before: async (t) => {
        for (let i = 0; i < 2; i++) expect((await call(t.token, 'llama')).status).toBe(502);
      },
    },
  ];

  it.each(cases)('answers with the code the real call answers for $name', async (c) => {
    const t = await createTenant(db(), c.policy(), c.role);
    await c.before?.(t);
    const explained = await explain(t.token, { model: c.model });
    expect(explained.status).toBe(200);
    const real = await call(t.token, c.model);
    expect(real.status).toBeGreaterThanOrEqual(400);
    expect({ allowed: explained.body.allowed, code: explained.body.code }).toEqual({
      allowed: false,
      code: real.code,
    });
    const steps = explained.body.steps;
    expect(steps.map((s) => s.id)).toEqual(STEP_ORDER);
    const failAt = STEP_ORDER.indexOf(c.step);
    expect(steps.map((s) => s.outcome)).toEqual(
      STEP_ORDER.map((_, i) => (i < failAt ? 'pass' : i === failAt ? 'fail' : 'skip')),
    );
    expect(steps[failAt]!.code).toBe(real.code);
    expect(explained.body.upstream).toBeNull();
  });

  it('explains an allowed call through an alias, with the upstream it goes to, and the real call passes', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['fast'] } },
      upstreams: [onprem('vllm', upstream.baseUrl, { models: [], aliases: { fast: 'llama-3-8b' } })],
    });
    const { status, body } = await explain(t.token, { model: 'fast' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      allowed: true,
      model: 'fast',
      resolvedModel: 'llama-3-8b',
      role: 'member',
      upstream: { name: 'vllm', kind: 'vllm', cloud: false },
    });
    expect(body.code).toBeUndefined();
    expect(body.steps.every((s) => s.outcome === 'pass')).toBe(true);
    expect(body.steps.find((s) => s.id === 'alias')!.message).toContain('llama-3-8b');
    expect((await call(t.token, 'fast')).status).toBe(200);
  });

  it('reads the counters without consuming any', async () => {
    const t = await createTenant(db(), {
      models: { allow: { member: ['*'] } },
      upstreams: [onprem('vllm', upstream.baseUrl)],
      limits: { perUser: { requestsPerMinute: 1 } },
    });
    for (let i = 0; i < 3; i++) {
      const { body } = await explain(t.token, { model: 'llama' });
      expect(body.allowed).toBe(true);
      expect(body.steps.find((s) => s.id === 'limits')!.message).toContain('user requests/minute 1, 0 used');
    }
    expect((await call(t.token, 'llama')).status).toBe(200);
    const after = await explain(t.token, { model: 'llama' });
    expect(after.body.code).toBe('rate_limited');
    expect(after.body.steps.find((s) => s.id === 'limits')!.message).toContain('1 used');
  });

  describe('who may explain whom', () => {
    let owner: Tenant;
    let member: { userId: string; token: string };
    let viewer: { userId: string; token: string };
    let stranger: Tenant;

    beforeAll(async () => {
      const policy: PolicyInput = {
        models: { allow: { admin: ['*'], member: ['llama*'] } },
        upstreams: [onprem('vllm', upstream.baseUrl)],
      };
      owner = await createTenant(db(), policy, 'owner');
      member = await addMemberWithToken(db(), owner.orgId, 'member');
      viewer = await addMemberWithToken(db(), owner.orgId, 'viewer');
      stranger = await createTenant(db(), policy, 'member');
    });

    it("lets an owner explain a member by id, with the member's role and model list", async () => {
      const allowed = await explain(owner.token, { model: 'llama-3', userId: member.userId });
      expect(allowed.body).toMatchObject({ allowed: true, role: 'member' });
      const refused = await explain(owner.token, { model: 'gpt-4o', userId: member.userId });
      expect(refused.body).toMatchObject({ allowed: false, role: 'member', code: 'model_forbidden' });
      expect((await call(member.token, 'gpt-4o')).code).toBe('model_forbidden');
    });

    it('lets an owner explain a bare role', async () => {
      const { body } = await explain(owner.token, { model: 'gpt-4o', role: 'admin' });
      expect(body).toMatchObject({ allowed: true, role: 'admin' });
      expect((await explain(owner.token, { model: 'llama', role: 'viewer' })).body).toMatchObject({
        allowed: false,
        role: 'viewer',
      });
    });

    it('lets a member explain themselves, but nobody else and no role', async () => {
      expect((await explain(member.token, { model: 'llama' })).body).toMatchObject({
        allowed: true,
        role: 'member',
      });
      expect((await explain(member.token, { model: 'llama', userId: member.userId })).status).toBe(200);
      for (const body of [
        { model: 'llama', userId: viewer.userId },
        { model: 'llama', role: 'admin' },
      ]) {
        const res = await explain(member.token, body);
        expect(res.status).toBe(403);
        expect(res.body.error?.code).toBe('forbidden');
      }
      expect((await explain(viewer.token, { model: 'llama', userId: member.userId })).status).toBe(403);
    });

    it('says a deactivated member is refused at authentication, as their own call is', async () => {
      const gone = await addMemberWithToken(db(), owner.orgId, 'member');
      await db().system.user.update({ where: { id: gone.userId }, data: { status: 'deactivated' } });
      const { body } = await explain(owner.token, { model: 'llama', userId: gone.userId });
      expect(body).toMatchObject({ allowed: false, code: 'unauthenticated', upstream: null });
      expect(body.steps[0]).toMatchObject({ id: 'role_ability', outcome: 'fail', code: 'unauthenticated' });
      expect((await call(gone.token, 'llama')).code).toBe('unauthenticated');
    });

    it("answers 404 for another org's user or an unknown id", async () => {
      for (const userId of [stranger.userId, '00000000-0000-4000-8000-000000000000']) {
        const res = await explain(owner.token, { model: 'llama', userId });
        expect(res.status).toBe(404);
        expect(res.body.error?.code).toBe('not_found');
      }
    });

    it.each([
      [{}],
      [{ model: '' }],
      [{ model: 'llama', userId: 'not-a-uuid' }],
      [{ model: 'llama', role: 'root' }],
      [{ model: 'llama', role: 'member', userId: '00000000-0000-4000-8000-000000000000' }],
      [{ model: 'llama', extra: true }],
    ])('refuses the body %j with validation_failed', async (body) => {
      const res = await explain(owner.token, body);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('validation_failed');
    });

    it('needs a credential', async () => {
      const res = await fetch(`${gw.url}/api/v1/access/explain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama' }),
      });
      expect(res.status).toBe(401);
    });

    it('answers an org-less platform admin session with the standard 403 no_org, before the body', async () => {
      const { cookie } = await createPlatformAdmin(db());
      for (const body of [{ model: 'llama' }, {}]) {
        const res = await fetch(`${gw.url}/api/v1/access/explain`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'sec-fetch-site': 'same-origin',
            cookie,
          },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_org');
      }
    });
  });
});
