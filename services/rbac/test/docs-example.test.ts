// docs/policy.md's air-gapped example must stay a policy the API accepts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg } from '@airlock/common/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validatePolicy } from '@airlock/common';
import request from 'supertest';
import { createMember, startRbac, type Member, type RbacHarness } from './fixtures.js';

const doc = readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/policy.md'),
  'utf8',
);
const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/policy.md', () => {
  let h: RbacHarness;
  let owner: Member;
  let member: Member;

  beforeAll(async () => {
    h = await startRbac();
    const orgId = (await createOrg(h.db)).id;
    owner = await createMember(h.db, orgId, 'owner');
    member = await createMember(h.db, orgId, 'member');
  });
  afterAll(async () => {
    await h.close();
  });

  it('has an air-gapped example the API accepts as written, in offline mode with the key hidden', async () => {
    const example = JSON.parse(blocks.at(-1)!) as { policy: Record<string, unknown> };
    expect(validatePolicy(example.policy)).toMatchObject({ ok: true });
    // The example's allowlist is a corporate network; this test calls from 127.0.0.1.
    const policy = { ...example.policy, admin: { ipAllowlist: [] } };
    const res = await request(h.app)
      .put('/api/v1/policy')
      .set('Cookie', owner.cookie)
      .set('If-Match', '"0"')
      .send({ ...example, policy });
    expect(res.status).toBe(200);
    expect(res.body.policy.upstreams[0]).toMatchObject({ name: 'vllm', apiKeySet: true });
    expect(JSON.stringify(res.body)).not.toContain('the-vllm-server---api-key');
    const effective = await request(h.app).get('/api/v1/policy/effective').set('Cookie', member.cookie);
    expect(effective.body).toMatchObject({
      privacyMode: 'offline',
      models: { allow: ['llama-3.*', 'qwen2.5-coder-*'] },
    });
  });
});
