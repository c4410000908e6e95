import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  createPolicyReader,
  openRedis,
  policySchema,
  type AuditEvent,
  type RedisHandle,
} from '@airlock/common';
import { createOrg, openTestDb, testEnv } from '@airlock/common/testing';
import { verifyChain } from '../../src/domain/verify.js';
import { createRetentionJob } from '../../src/retention/job.js';
import { appendEvents, chainRows, chainStart } from '../../src/store/events.js';
import { makeEvent, silentLogger } from '../helpers.js';

const NOW = new Date('2027-03-01T12:00:00.000Z');
const daysAgo = (d: number, offsetMs = 0) =>
  new Date(NOW.getTime() - d * 86_400_000 + offsetMs).toISOString();

describe('audit retention', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let redis: RedisHandle;
  let admin: pg.Client;

  beforeAll(async () => {
    t = await openTestDb();
    redis = openRedis({ url: testEnv.redisUrlOrStandIn, nodeEnv: 'test', commandTimeoutMs: 2_000 });
    admin = new pg.Client({ connectionString: t.database.adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await redis?.close();
    await t?.close();
  });

  const job = () =>
    createRetentionJob({
      db: t.db,
      policies: createPolicyReader({ db: t.db, redis, logger: silentLogger }),
      logger: silentLogger,
      clock: () => NOW,
      batchSize: 7,
    });
  const seqs = async (orgId: string | null) =>
    (
      await admin.query<{ seq: string }>(
        `SELECT e.seq::text AS seq FROM audit_events e WHERE e.org_id IS NOT DISTINCT FROM $1::uuid ORDER BY e.seq`,
        [orgId],
      )
    ).rows.map((r) => Number(r.seq));
  const verify = async (orgId: string | null) =>
    verifyChain(await chainStart(t.db, orgId), chainRows(t.db, orgId));
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  async function orgWithPolicy(retentionDays?: number): Promise<string> {
    const org = await createOrg(t.db);
    if (retentionDays) {
      await t.db.system.orgPolicy.create({
        data: { orgId: org.id, version: 1, document: policySchema.parse({ audit: { retentionDays } }) },
      });
    }
    return org.id;
  }

  async function seed(orgId: string | null, times: string[]): Promise<AuditEvent[]> {
    const events = times.map((time) =>
      makeEvent({ orgId, time, action: 'org.updated', details: { fields: ['name'] }, target: null }),
    );
    await appendEvents(t.db, events);
    return events;
  }

  it('deletes events older than the org policy allows, in batches, and the rest still verifies', async () => {
    const org = await orgWithPolicy(10);
    await seed(org, [...range(1, 30).map((i) => daysAgo(20, i)), ...range(1, 20).map((i) => daysAgo(1, i))]);
    const report = await job().runOnce();
    expect(report.get(org)).toBe(30);
    expect(await seqs(org)).toEqual(range(31, 50));
    const { rows } = await admin.query(
      'SELECT upto_seq::int AS upto FROM audit_checkpoints WHERE org_id = $1',
      [org],
    );
    expect(rows).toEqual([{ upto: 30 }]);
    expect(await verify(org)).toMatchObject({
      ok: true,
      checked: 20,
      from: { seq: '30' },
      head: { seq: '50' },
    });
  });

  it('keeps appending to a pruned chain from its checkpoint, even after everything was deleted', async () => {
    const org = await orgWithPolicy(10);
    await seed(
      org,
      range(1, 9).map((i) => daysAgo(30, i)),
    );
    await job().runOnce();
    expect(await seqs(org)).toEqual([]);
    await seed(org, [daysAgo(0), daysAgo(0, 1)]);
    expect(await seqs(org)).toEqual([10, 11]);
    expect(await verify(org)).toMatchObject({ ok: true, checked: 2, from: { seq: '9' } });
  });

  it('uses 90 days for orgs without a policy and for platform events', async () => {
    const org = await orgWithPolicy();
    await seed(org, [daysAgo(100), daysAgo(91), daysAgo(89)]);
    await seed(null, [daysAgo(120), daysAgo(5)]);
    await job().runOnce();
    expect(await seqs(org)).toEqual([3]);
    expect(await seqs(null)).toEqual([2]);
    expect((await verify(org)).ok).toBe(true);
    expect((await verify(null)).ok).toBe(true);
  });

  it('deletes only a prefix: an old event behind a newer one stays until the newer one expires', async () => {
    const org = await orgWithPolicy(10);
    await seed(org, [daysAgo(30), daysAgo(2), daysAgo(30), daysAgo(1)]);
    await job().runOnce();
    expect(await seqs(org)).toEqual([2, 3, 4]);
    expect((await verify(org)).ok).toBe(true);
  });

  it('skips an org whose policy cannot be read and still prunes the others', async () => {
    const broken = await orgWithPolicy();
    await t.db.system.orgPolicy.create({
      data: { orgId: broken, version: 1, document: { audit: { retentionDays: 'forever' } } },
    });
    const fine = await orgWithPolicy(10);
    await seed(broken, [daysAgo(400)]);
    await seed(fine, [daysAgo(30), daysAgo(1)]);
    const report = await job().runOnce();
    expect(report.get(fine)).toBe(1);
    expect(await seqs(broken)).toEqual([1]);
    expect(await seqs(fine)).toEqual([2]);
  });

  it('changes nothing when run again', async () => {
    const before = (await admin.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n;
    const report = await job().runOnce();
    expect(report.size).toBe(0);
    expect((await admin.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n).toBe(before);
  });
});
