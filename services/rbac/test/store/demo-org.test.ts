import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { policySchema, type Db } from '@airlock/common';
import { openTestDb } from '@airlock/common/testing';
import { DEMO_ORG_SLUG, ensureDemoOrg } from '../../src/store/demo-org.js';

describe('demo org seed', () => {
  let db: Db;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openTestDb());
  });
  afterAll(async () => {
    await close();
  });

  it('creates the org with an offline policy once, and nothing the second time', async () => {
    expect(await ensureDemoOrg(db)).toBe(true);
    expect(await ensureDemoOrg(db)).toBe(false);
    const org = await db.system.org.findUniqueOrThrow({ where: { slug: DEMO_ORG_SLUG } });
    const policies = await db.system.orgPolicy.findMany({ where: { orgId: org.id } });
    expect(policies).toHaveLength(1);
    const policy = policySchema.parse(policies[0]!.document);
    expect(policy.privacyMode).toBe('offline');
    expect(policy.upstreams.map((u) => [u.name, u.kind])).toEqual([['ollama', 'onprem']]);
  });
});
