// openDb builds its Prisma client on first use; with prisma 'on-first-use' (a process of
// gateway modules) a handle used only through db.sql never loads Prisma at all, and the
// first Prisma use behaves as an eager client did.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDb, type Db } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../../testing/index.js';
import { runFixture } from '../helpers.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/prisma-loaded.ts');

describe('openDb on Postgres', () => {
  let database: TestDatabase;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = await openDb({ url: database.url, poolSize: 1 });
    try {
      orgA = (await db.system.org.create({ data: { slug: 'lazy-a', name: 'A' } })).id;
      orgB = (await db.system.org.create({ data: { slug: 'lazy-b', name: 'B' } })).id;
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await database.drop();
  });

  const loadedIn = async (...args: string[]) =>
    JSON.parse(
      await runFixture(FIXTURE, { args, env: { ...process.env, DATABASE_URL: database.url } }),
    ) as unknown;

  it("with prisma 'on-first-use', loads no Prisma package while a process queries through db.sql only, and loads it on first use", async () => {
    expect(await loadedIn('on-first-use')).toEqual({
      sqlCount: 2,
      prismaCount: 2,
      afterSql: { runtime: false, adapter: false },
      afterPrisma: { runtime: true, adapter: true },
    });
  });

  it('by default loads Prisma when the database opens, so no request pays for it', async () => {
    expect(await loadedIn()).toEqual({
      sqlCount: 2,
      prismaCount: 2,
      afterSql: { runtime: true, adapter: true },
      afterPrisma: { runtime: true, adapter: true },
    });
  });

  it('closes a handle whose Prisma client was never used, ending its pool', async () => {
    const db = await openDb({ url: database.url, poolSize: 1 });
    expect(await db.sql.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
    await expect(db.sql.query('SELECT 1')).rejects.toThrow(/after calling end on the pool/);
  });

  it('closes a handle that was never queried at all', async () => {
    const db = await openDb({ url: database.url, poolSize: 1 });
    await expect(db.close()).resolves.toBeUndefined();
  });

  describe('first Prisma use after db.sql', () => {
    let db: Db;
    beforeAll(async () => {
      db = await openDb({ url: database.url, poolSize: 2 });
      await db.sql.query('SELECT 1');
    });
    afterAll(async () => {
      await db.close();
    });

    it('scopes forOrg to its org under row-level security, and system to every org', async () => {
      expect((await db.forOrg(orgA).org.findMany()).map((o) => o.id)).toEqual([orgA]);
      expect(await db.prisma.org.count()).toBe(0); // unscoped: RLS shows nothing
      expect((await db.system.org.findMany({ orderBy: { slug: 'asc' } })).map((o) => o.id)).toEqual([
        orgA,
        orgB,
      ]);
      expect(db.system).toBe(db.system); // one extended client per handle
    });

    it('runs inOrg and asSystem transactions in their scope', async () => {
      expect(await db.inOrg(orgB, (tx) => tx.org.findMany({ select: { id: true } }))).toEqual([{ id: orgB }]);
      expect(await db.asSystem((tx) => tx.org.count())).toBe(2);
    });

    it('keeps the errors: a malformed org id, a unique violation', async () => {
      expect(() => db.forOrg('not-a-uuid')).toThrow(new TypeError('org id must be a UUID'));
      await expect(db.inOrg('not-a-uuid', async () => 1)).rejects.toThrow('org id must be a UUID');
      await expect(db.system.org.create({ data: { slug: 'lazy-a', name: 'again' } })).rejects.toMatchObject({
        code: 'P2002',
      });
    });
  });
});

describe('openDb on PGlite', () => {
  it('builds the client on first use after db.sql, with Prisma error codes from PGlite errors', async () => {
    const db = await openDb({ pgliteDir: 'memory://' });
    try {
      expect(await db.sql.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      const org = await db.system.org.create({ data: { slug: 'lite', name: 'Lite' } });
      expect((await db.forOrg(org.id).org.findMany()).map((o) => o.slug)).toEqual(['lite']);
      // The adapter's PGlite must be this one: its DatabaseError is what becomes P2002.
      await expect(db.system.org.create({ data: { slug: 'lite', name: 'again' } })).rejects.toMatchObject({
        code: 'P2002',
      });
    } finally {
      await db.close();
    }
  }, 60_000); // PGlite's start-up and migrations, on a loaded machine
});
