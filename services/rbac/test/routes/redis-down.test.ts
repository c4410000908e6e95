import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrg, type ServerProcess, startRedis } from '@airlock/common/testing';
import request from 'supertest';
import { createMember, samplePolicy, startRbac, type Member, type RbacHarness } from '../fixtures.js';

// Fail modes: Redis carries only the change announcement (and audit, which spools). A
// committed policy change must not be reported as failed because Redis is away; replicas
// then pick it up when their cached copy expires.
describe('rbac while Redis is down', () => {
  let redis: ServerProcess;
  let h: RbacHarness;
  let admin: Member;

  beforeAll(async () => {
    redis = await startRedis();
    h = await startRbac({ redisUrl: redis.url });
    const orgId = (await createOrg(h.db)).id;
    admin = await createMember(h.db, orgId, 'admin');
  }, 30_000);
  afterAll(async () => {
    await h.close(); // waits up to 5 s for the audit spool that Redis never took
    await redis.destroy();
  }, 30_000);

  it('still stores a policy change and answers with its version', async () => {
    await redis.stop();
    const res = await request(h.app)
      .put('/api/v1/policy')
      .set('Cookie', admin.cookie)
      .set('If-Match', '"0"')
      .send({ policy: samplePolicy({ privacyMode: 'offline' }) });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(1);
    const read = await request(h.app).get('/api/v1/policy').set('Cookie', admin.cookie);
    expect(read.body).toMatchObject({ version: 1, policy: { privacyMode: 'offline' } });
  }, 30_000);
});
