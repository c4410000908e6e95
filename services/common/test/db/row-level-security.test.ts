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
  let userId: string;
  // Sessions are the subject: org-scoped, and a platform admin's session has no org (org_id
  // null), which no org scope may see or write.
  const later = new Date(Date.now() + 3_600_000);
  const sessionData = (orgId: string | null, tokenHash: string) => ({
    orgId,
    userId,
    tokenHash,
    idleExpiresAt: later,
    absoluteExpiresAt: later,
  });

  beforeAll(async () => {
    const t = await openTestDb();
    db = t.db;
    close = t.close;
    orgA = (await db.system.org.create({ data: { slug: 'org-a', name: 'A' } })).id;
    orgB = (await db.system.org.create({ data: { slug: 'org-b', name: 'B' } })).id;
    userId = (await db.system.user.create({ data: { email: 'rls@example.com' } })).id;
    for (const [orgId, tokenHash] of [
      [orgA, 'sess-a'],
      [orgB, 'sess-b'],
      [null, 'sess-platform'],
    ] as const) {
      await db.system.session.create({ data: sessionData(orgId, tokenHash) });
    }
  });
  afterAll(async () => {
    await close();
  });

  it('lets an org read only its own rows', async () => {
    const hashes = (await db.forOrg(orgA).session.findMany({ orderBy: { tokenHash: 'asc' } })).map(
      (r) => r.tokenHash,
    );
    expect(hashes).toEqual(['sess-a']);
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
    expect(await db.forOrg(orgA).session.findMany({ where: { orgId: orgB } })).toEqual([]);
    expect(await db.forOrg(orgA).org.findUnique({ where: { id: orgB } })).toBeNull();
  });

  it('denies a write into another org', async () => {
    await expect(db.forOrg(orgA).session.create({ data: sessionData(orgB, 'sneaky') })).rejects.toThrow();
    expect(await db.system.session.findFirst({ where: { tokenHash: 'sneaky' } })).toBeNull();
  });

  it('denies updating or deleting another org’s rows (they are invisible)', async () => {
    const res = await db
      .forOrg(orgA)
      .session.updateMany({ where: { orgId: orgB }, data: { revokedAt: new Date() } });
    expect(res.count).toBe(0);
    const del = await db.forOrg(orgA).session.deleteMany({ where: { tokenHash: 'sess-b' } });
    expect(del.count).toBe(0);
    expect(
      await db.system.session.findFirst({ where: { tokenHash: 'sess-b', revokedAt: null } }),
    ).not.toBeNull();
  });

  it('does not let an org write a platform-level (org-less) row', async () => {
    await expect(db.forOrg(orgA).session.create({ data: sessionData(null, 'hijack') })).rejects.toThrow();
    expect(await db.system.session.findFirst({ where: { tokenHash: 'hijack' } })).toBeNull();
  });

  it('shows nothing to an unscoped query (fail closed)', async () => {
    expect(await db.prisma.session.findMany()).toEqual([]);
    expect(await db.prisma.org.findMany()).toEqual([]);
  });

  it('scopes multi-statement transactions too, and the setting ends with the transaction', async () => {
    const seen = await db.inOrg(orgB, async (tx) =>
      (await tx.session.findMany()).map((r) => r.tokenHash).sort(),
    );
    expect(seen).toEqual(['sess-b']);
    expect(await db.prisma.session.findMany()).toEqual([]);
  });

  it('lets the system scope see every org', async () => {
    expect(await db.system.session.count()).toBe(3);
    expect(await db.asSystem((tx) => tx.org.count())).toBe(2);
  });

  it('rejects a malformed org id before it reaches SQL', () => {
    expect(() => db.forOrg("x' OR 1=1 --")).toThrow(TypeError);
  });

  it('holds for raw SQL as well as for model queries', async () => {
    const rows = await db.inOrg(
      orgA,
      (tx) => tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM sessions WHERE org_id = ${orgB}::uuid`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
