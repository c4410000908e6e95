import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg } from '@airlock/common/testing';
import { createUpstreamKeyBox, type Policy } from '@airlock/common';
import request from 'supertest';
import { createMember, samplePolicy, startRbac, type Member, type RbacHarness } from '../fixtures.js';

const SECRET = 'sk-test-9f8e7d6c5b4a39281706';

describe('/api/v1/policy', () => {
  let h: RbacHarness;
  let orgId: string;
  let owner: Member;
  let admin: Member;
  let member: Member;
  let viewer: Member;

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db)).id;
    owner = await createMember(h.db, orgId, 'owner');
    admin = await createMember(h.db, orgId, 'admin');
    member = await createMember(h.db, orgId, 'member');
    viewer = await createMember(h.db, orgId, 'viewer');
  });
  afterAll(async () => {
    await h.close();
  });

  const versions = () => h.db.system.orgPolicy.count({ where: { orgId } });
  const put = (who: Member, body: unknown, ifMatch?: string) => {
    const r = request(h.app).put('/api/v1/policy').set('Cookie', who.cookie);
    if (ifMatch !== undefined) r.set('If-Match', ifMatch);
    return r.send(body as object);
  };

  describe('versioning', () => {
    it('serves the default policy as version 0 before any change', async () => {
      const res = await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie);
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('"0"');
      expect(res.body).toMatchObject({
        version: 0,
        policy: { privacyMode: 'normal', audit: { retentionDays: 90 } },
      });
    });

    it('requires If-Match with one exact version', async () => {
      for (const header of [undefined, '*', 'W/"0"', '"0", "1"', 'abc']) {
        const res = await put(admin, { policy: samplePolicy() }, header);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe(
          header === undefined ? 'precondition_required' : 'invalid_precondition',
        );
      }
      expect(await versions()).toBe(0);
    });

    it('creates a new version with author and time on every change, and audits it', async () => {
      const res = await put(admin, { policy: samplePolicy(), comment: 'first' }, '"0"');
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toMatchObject({ version: 1, createdBy: admin.userId, comment: 'first' });
      const second = await put(owner, { policy: samplePolicy({ privacyMode: 'offline' }) }, '1');
      expect(second.body.version).toBe(2);
      const row = await h.db.system.orgPolicy.findUnique({ where: { orgId_version: { orgId, version: 2 } } });
      expect(row?.createdBy).toBe(owner.userId);
      expect(row?.createdAt).toBeInstanceOf(Date);
      const events = (await h.auditEvents()).filter((e) => e.action === 'policy.updated');
      expect(events.map((e) => [e.details, e.actor.id])).toEqual([
        [{ version: 1 }, admin.userId],
        [{ version: 2, previousVersion: 1 }, owner.userId],
      ]);
      const current = await request(h.app).get('/api/v1/policy').set('Authorization', admin.bearer);
      expect(current.headers.etag).toBe('"2"');
      expect(current.body.policy.privacyMode).toBe('offline');
    });

    it('refuses a stale If-Match with 409 and the current version, changing nothing', async () => {
      const before = await versions();
      const res = await put(admin, { policy: samplePolicy({ privacyMode: 'sensitive' }) }, '"1"');
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('policy_version_conflict');
      expect(res.body.error.details).toEqual({ currentVersion: 2 });
      expect(res.headers.etag).toBe('"2"');
      expect(await versions()).toBe(before);
    });

    it('lets exactly one of two writers with the same If-Match win', async () => {
      const current = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      const results = await Promise.all(
        ['normal', 'sensitive'].map((mode) =>
          put(admin, { policy: samplePolicy({ privacyMode: mode }) }, current),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    });

    it('lists versions newest first and serves an old one', async () => {
      const list = await request(h.app).get('/api/v1/policy/versions').set('Cookie', admin.cookie);
      expect(list.status).toBe(200);
      const numbers = (list.body.data as { version: number }[]).map((v) => v.version);
      expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
      expect(numbers.at(-1)).toBe(1);
      const old = await request(h.app).get('/api/v1/policy/versions/2').set('Cookie', admin.cookie);
      expect(old.body).toMatchObject({ version: 2, policy: { privacyMode: 'offline' } });
      expect(
        (await request(h.app).get('/api/v1/policy/versions/999').set('Cookie', admin.cookie)).status,
      ).toBe(404);
      expect(
        (await request(h.app).get('/api/v1/policy/versions/abc').set('Cookie', admin.cookie)).status,
      ).toBe(404);
    });

    it('rolls back by writing the old document as a new version', async () => {
      const before = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).body
        .version as number;
      const res = await request(h.app)
        .post('/api/v1/policy/rollback')
        .set('Cookie', admin.cookie)
        .send({ version: 2 });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        version: before + 1,
        rolledBackTo: 2,
        comment: 'rollback to version 2',
      });
      const current = await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie);
      expect(current.body.version).toBe(before + 1);
      expect(current.body.policy.privacyMode).toBe('offline');
      const event = (await h.auditEvents()).find((e) => e.action === 'policy.rolled_back');
      expect(event?.details).toEqual({ version: before + 1, toVersion: 2 });
      // A given If-Match is honoured; an unknown version is 404 and changes nothing.
      const stale = await request(h.app)
        .post('/api/v1/policy/rollback')
        .set('Cookie', admin.cookie)
        .set('If-Match', '"1"')
        .send({ version: 1 });
      expect(stale.status).toBe(409);
      const missing = await request(h.app)
        .post('/api/v1/policy/rollback')
        .set('Cookie', admin.cookie)
        .send({ version: 999 });
      expect(missing.status).toBe(404);
      expect(await versions()).toBe(before + 1);
    });
  });

  describe('validation', () => {
    it('lists every problem by JSON path and changes nothing', async () => {
      const before = await versions();
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      const res = await put(
        admin,
        {
          policy: {
            privacyMode: 'paranoid',
            models: { allow: { member: ['llama 3'] }, default: 'llama-*' },
            upstreams: [
              { name: 'vllm', baseUrl: 'ftp://x', kind: 'onprem', provider: 'vllm' },
              {
                name: 'vllm',
                baseUrl: 'https://u:p@api.example.com',
                kind: 'moon',
                provider: 'openai',
                apiKeyEnc: 'v1.1.x',
              },
            ],
            limits: { perRole: { member: { requestsPerMinute: -1 } } },
            redaction: {
              customPatterns: [
                { name: 'ticket', pattern: '([' },
                { name: 'lookahead', pattern: 'key(?==)' }, // valid JS, but RE2 cannot compile it
              ],
            },
            admin: { ipAllowlist: ['10.0.0.0/33', 'not-an-ip'] },
            audit: { retentionDays: 0 },
            typo: true,
          },
        },
        etag,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      const paths = (res.body.error.details.problems as { path: string }[]).map((p) => p.path).sort();
      expect(paths).toEqual(
        [
          '$.policy',
          '$.policy.admin.ipAllowlist[0]',
          '$.policy.admin.ipAllowlist[1]',
          '$.policy.audit.retentionDays',
          '$.policy.limits.perRole.member.requestsPerMinute',
          '$.policy.models.allow.member[0]',
          '$.policy.models.default',
          '$.policy.privacyMode',
          '$.policy.redaction.customPatterns[0].pattern',
          '$.policy.redaction.customPatterns[1].pattern',
          '$.policy.upstreams[0].baseUrl',
          '$.policy.upstreams[1].apiKeyEnc',
          '$.policy.upstreams[1].baseUrl',
          '$.policy.upstreams[1].kind',
        ].sort(),
      );
      expect(await versions()).toBe(before);
    });

    it('reports duplicate upstream names', async () => {
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      const up = samplePolicy().upstreams[0]!;
      const res = await put(admin, { policy: samplePolicy({ upstreams: [up, up] }) }, etag);
      expect(res.status).toBe(400);
      expect(res.body.error.details.problems).toEqual([
        { path: '$.policy.upstreams[1].name', message: 'duplicate upstream name' },
      ]);
    });

    it('refuses an IP allowlist that would lock the caller out', async () => {
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      const res = await put(
        admin,
        { policy: samplePolicy({ admin: { ipAllowlist: ['203.0.113.0/24'] } }) },
        etag,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.details.problems[0].path).toBe('$.policy.admin.ipAllowlist');
    });

    it('refuses a body without a policy', async () => {
      const res = await put(admin, { comment: 'no document' }, '"0"');
      expect(res.status).toBe(400);
    });
  });

  describe('upstream API keys', () => {
    let version: number;

    it('accepts a key, stores it sealed to the org and upstream, and never returns it', async () => {
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      const policy = samplePolicy({
        upstreams: [
          {
            name: 'openai',
            baseUrl: 'https://api.openai.com/v1',
            kind: 'cloud',
            provider: 'openai',
            apiKey: SECRET,
          },
          samplePolicy().upstreams[0],
        ],
      });
      const res = await put(admin, { policy }, etag);
      expect(res.status).toBe(200);
      version = res.body.version as number;
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
      expect(res.body.policy.upstreams.map((u: { apiKeySet: boolean }) => u.apiKeySet)).toEqual([
        true,
        false,
      ]);
      expect(res.body.policy.upstreams[0]).not.toHaveProperty('apiKeyEnc');

      const row = await h.db.system.orgPolicy.findUnique({ where: { orgId_version: { orgId, version } } });
      const stored = row!.document as unknown as Policy;
      expect(JSON.stringify(stored)).not.toContain(SECRET);
      expect(stored.upstreams[0]!.apiKey).toBeUndefined();
      const box = createUpstreamKeyBox(h.keyring);
      expect(box.open(orgId, 'openai', stored.upstreams[0]!.apiKeyEnc!)).toBe(SECRET);
      // Bound to org and upstream: the same ciphertext does not open anywhere else.
      expect(() => box.open(orgId, 'vllm', stored.upstreams[0]!.apiKeyEnc!)).toThrow();
      expect(() => box.open(admin.userId, 'openai', stored.upstreams[0]!.apiKeyEnc!)).toThrow();

      // A refused document holding a key does not leak it either.
      const refused = await put(admin, { policy: { ...policy, privacyMode: 'bogus' } }, `"${version}"`);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).not.toContain(SECRET);
      expect(h.logs()).toContain('"path":"/api/v1/policy"'); // the log is really captured
      expect(h.logs()).not.toContain(SECRET);
      expect(JSON.stringify(await h.auditEvents())).not.toContain(SECRET);

      for (const path of ['/api/v1/policy', `/api/v1/policy/versions/${version}`]) {
        const read = await request(h.app).get(path).set('Cookie', admin.cookie);
        expect(JSON.stringify(read.body)).not.toMatch(/apiKeyEnc|sk-test/);
        expect(read.body.policy.upstreams[0].apiKeySet).toBe(true);
      }
    });

    it('keeps the stored key when the document read back is saved again, and drops it on apiKeySet: false', async () => {
      const read = await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie);
      const again = await put(admin, { policy: read.body.policy }, read.headers.etag);
      expect(again.status).toBe(200);
      expect(again.body.policy.upstreams[0].apiKeySet).toBe(true);

      const cleared = structuredClone(again.body.policy);
      cleared.upstreams[0].apiKeySet = false;
      const res = await put(admin, { policy: cleared }, again.headers.etag);
      expect(res.status).toBe(200);
      expect(res.body.policy.upstreams[0].apiKeySet).toBe(false);
      const row = await h.db.system.orgPolicy.findUnique({
        where: { orgId_version: { orgId, version: res.body.version } },
      });
      expect((row!.document as unknown as Policy).upstreams[0]!.apiKeyEnc).toBeUndefined();
    });
  });

  describe('effective policy', () => {
    it('shows a member their models, upstreams and the limits counted against them', async () => {
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      await put(admin, { policy: samplePolicy() }, etag).expect(200);
      const res = await request(h.app).get('/api/v1/policy/effective').set('Authorization', member.bearer);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        userId: member.userId,
        role: 'member',
        models: { allow: ['llama-3.*'], default: 'llama-3.1-8b' },
        limits: {
          perUser: { requestsPerMinute: 30, tokensPerMinute: 10_000 },
          perRole: { requestsPerMinute: 60 },
          perOrg: {},
        },
        upstreams: [{ name: 'vllm', kind: 'onprem' }],
      });
    });

    it('lets admins see another member’s effective policy, and nobody else', async () => {
      const res = await request(h.app)
        .get(`/api/v1/policy/effective?user=${viewer.userId}`)
        .set('Cookie', admin.cookie);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ role: 'viewer', models: { allow: [] }, upstreams: [] });
      const denied = await request(h.app)
        .get(`/api/v1/policy/effective?user=${admin.userId}`)
        .set('Cookie', member.cookie);
      expect(denied.status).toBe(403);
    });

    it('gives members and viewers the effective view only: no URLs, regexes or IP allowlist', async () => {
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      const policy = samplePolicy({
        redaction: { customPatterns: [{ name: 'ticket', pattern: 'TCK-[0-9]{6}' }] },
        admin: { ipAllowlist: ['127.0.0.1', '::1', '::ffff:127.0.0.1', '198.51.100.0/24'] },
      });
      await put(admin, { policy }, etag).expect(200);
      for (const who of [member, viewer]) {
        for (const path of ['/api/v1/policy', '/api/v1/policy/versions', '/api/v1/policy/versions/1']) {
          const res = await request(h.app).get(path).set('Cookie', who.cookie);
          expect(res.status).toBe(403);
        }
        const effective = await request(h.app).get('/api/v1/policy/effective').set('Cookie', who.cookie);
        expect(effective.status).toBe(200);
        const text = JSON.stringify(effective.body);
        for (const secret of ['vllm.internal', 'TCK-', '198.51.100.0']) expect(text).not.toContain(secret);
      }
    });

    it('answers 404 for a user of another org', async () => {
      const other = await createOrg(h.db);
      const stranger = await createMember(h.db, other.id, 'member');
      const res = await request(h.app)
        .get(`/api/v1/policy/effective?user=${stranger.userId}`)
        .set('Cookie', owner.cookie);
      expect(res.status).toBe(404);
    });
  });

  describe('who may change it', () => {
    it('refuses members and viewers', async () => {
      const before = await versions();
      const etag = (await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie)).headers.etag!;
      for (const who of [member, viewer]) {
        expect((await put(who, { policy: samplePolicy() }, etag)).status).toBe(403);
        const rb = await request(h.app)
          .post('/api/v1/policy/rollback')
          .set('Cookie', who.cookie)
          .send({ version: 1 });
        expect(rb.status).toBe(403);
      }
      expect(await versions()).toBe(before);
    });
  });
});

describe('an org whose stored policy no longer parses', () => {
  let h: RbacHarness;
  let orgId: string;
  let admin: Member;

  beforeAll(async () => {
    h = await startRbac();
    orgId = (await createOrg(h.db)).id;
    admin = await createMember(h.db, orgId, 'admin');
  });
  afterAll(async () => {
    await h.close();
  });

  it('keeps its admin API reachable so the policy can be fixed', async () => {
    // As if a later schema refused what an earlier one accepted.
    await h.db.system.orgPolicy.create({
      data: { orgId, version: 1, document: { privacyMode: 'retired-mode' } },
    });
    expect((await request(h.app).get('/api/v1/members').set('Cookie', admin.cookie)).status).toBe(200);
    const fixed = await request(h.app)
      .put('/api/v1/policy')
      .set('Cookie', admin.cookie)
      .set('If-Match', '"1"')
      .send({ policy: samplePolicy() });
    expect(fixed.status).toBe(200);
    expect(fixed.body.version).toBe(2);
  });

  it('still applies the valid entries of its raw allowlist, and admits nobody when none is valid', async () => {
    await h.db.system.orgPolicy.create({
      data: {
        orgId,
        version: 3,
        document: { privacyMode: 'retired-mode', admin: { ipAllowlist: ['203.0.113.0/24'] } },
      },
    });
    h.rbac.policyReader.invalidate?.(orgId);
    expect((await request(h.app).get('/api/v1/members').set('Cookie', admin.cookie)).status).toBe(403);
    await h.db.system.orgPolicy.create({
      data: {
        orgId,
        version: 4,
        document: { privacyMode: 'retired-mode', admin: { ipAllowlist: ['junk'] } },
      },
    });
    h.rbac.policyReader.invalidate?.(orgId);
    expect((await request(h.app).get('/api/v1/members').set('Cookie', admin.cookie)).status).toBe(403);
    expect(h.logs()).toContain('stored org policy does not parse');
  });
});
