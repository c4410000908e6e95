import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '../../src/db/client.js';
import { openTestDb } from '../../testing/index.js';

// The test database belongs to an ordinary role (not a superuser), as in production, so
// these policies are really enforced here.
describe('row-level security', () => {
  let db: Db;
  let close: () => Promise<void>;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    const t = await openTestDb();
    db = t.db;
    close = t.close;
    orgA = (await db.system.org.create({ data: { slug: 'org-a', name: 'A' } })).id;
    orgB = (await db.system.org.create({ data: { slug: 'org-b', name: 'B' } })).id;
    for (const [orgId, name] of [
      [orgA, 'vllm-a'],
      [orgB, 'vllm-b'],
    ] as const) {
      await db.system.upstream.create({
        data: { orgId, name, kind: 'onprem', provider: 'vllm', baseUrl: 'http://vllm:8000' },
      });
    }
    await db.system.upstream.create({
      data: { orgId: null, name: 'shared', kind: 'onprem', provider: 'vllm', baseUrl: 'http://shared:8000' },
    });
  });
  afterAll(async () => {
    await close();
  });

  it('lets an org read only its own rows', async () => {
    const names = (await db.forOrg(orgA).upstream.findMany({ orderBy: { name: 'asc' } })).map((u) => u.name);
    expect(names).toEqual(['shared', 'vllm-a']);
    expect(await db.forOrg(orgA).org.findMany()).toHaveLength(1);
  });

  it('keeps pending grants to their org: invisible and unwritable from another', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    await db.system.pendingGrant.create({
      data: { orgId: orgB, email: 'boss@b.example', role: 'owner', expiresAt },
    });
    expect(await db.forOrg(orgA).pendingGrant.findMany()).toEqual([]);
    const taken = await db.forOrg(orgA).pendingGrant.updateMany({ data: { acceptedAt: new Date() } });
    expect(taken.count).toBe(0);
    await expect(
      db
        .forOrg(orgA)
        .pendingGrant.create({ data: { orgId: orgB, email: 'x@b.example', role: 'owner', expiresAt } }),
    ).rejects.toThrow();
    expect(await db.forOrg(orgB).pendingGrant.count()).toBe(1);
  });

  it('denies a cross-org read even when the query asks for the other org by id', async () => {
    expect(await db.forOrg(orgA).upstream.findMany({ where: { orgId: orgB } })).toEqual([]);
    expect(await db.forOrg(orgA).org.findUnique({ where: { id: orgB } })).toBeNull();
  });

  it('denies a write into another org', async () => {
    await expect(
      db.forOrg(orgA).upstream.create({
        data: { orgId: orgB, name: 'sneaky', kind: 'cloud', provider: 'openai', baseUrl: 'https://x' },
      }),
    ).rejects.toThrow();
    expect(await db.system.upstream.findFirst({ where: { name: 'sneaky' } })).toBeNull();
  });

  it('denies updating or deleting another org’s rows (they are invisible)', async () => {
    const res = await db.forOrg(orgA).upstream.updateMany({ where: { orgId: orgB }, data: { timeoutMs: 1 } });
    expect(res.count).toBe(0);
    const del = await db.forOrg(orgA).upstream.deleteMany({ where: { name: 'vllm-b' } });
    expect(del.count).toBe(0);
    expect(await db.system.upstream.findFirst({ where: { name: 'vllm-b' } })).not.toBeNull();
  });

  it('does not let an org write a platform-level upstream', async () => {
    await expect(
      db.forOrg(orgA).upstream.create({
        data: { orgId: null, name: 'hijack', kind: 'cloud', provider: 'openai', baseUrl: 'https://x' },
      }),
    ).rejects.toThrow();
  });

  it('shows nothing to an unscoped query (fail closed)', async () => {
    expect(await db.prisma.upstream.findMany()).toEqual([]);
    expect(await db.prisma.org.findMany()).toEqual([]);
  });

  it('scopes multi-statement transactions too, and the setting ends with the transaction', async () => {
    const seen = await db.inOrg(orgB, async (tx) => (await tx.upstream.findMany()).map((u) => u.name).sort());
    expect(seen).toEqual(['shared', 'vllm-b']);
    expect(await db.prisma.upstream.findMany()).toEqual([]);
  });

  it('lets the system scope see every org', async () => {
    expect(await db.system.upstream.count()).toBe(3);
    expect(await db.asSystem((tx) => tx.org.count())).toBe(2);
  });

  it('rejects a malformed org id before it reaches SQL', () => {
    expect(() => db.forOrg("x' OR 1=1 --")).toThrow(TypeError);
  });

  it('holds for raw SQL as well as for model queries', async () => {
    const rows = await db.inOrg(
      orgA,
      (tx) => tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM upstreams WHERE org_id = ${orgB}::uuid`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
