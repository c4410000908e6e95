import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../testing/index.js';
import { migratePostgres, openDb, pgliteSession } from '../../src/db/client.js';
import { applyMigrations, listMigrations, MIGRATIONS_DIR } from '../../src/db/migrate.js';

// PGlite starts a WASM Postgres per test: seconds each, more on a loaded machine.
jest.setTimeout(60_000);

const EXPECTED_TABLES = [
  'api_tokens',
  'audit_checkpoints',
  'audit_events',
  'local_credentials',
  'memberships',
  'mfa_secrets',
  'org_policies',
  'orgs',
  'pending_grants',
  'scim_pending_users',
  'scim_tokens',
  'scim_users',
  'sessions',
  'sso_connections',
  'sso_identities',
  'users',
];

function copyOfMigrations(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'airlock-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('migrations on embedded PGlite', () => {
  it('create every table and are recorded like prisma migrate deploy records them', async () => {
    const pglite = await PGlite.create('memory://');
    const session = pgliteSession(pglite);
    const applied = await applyMigrations(session);
    expect(applied).toEqual(await listMigrations());
    const tables = await session.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%' ORDER BY 1`,
    );
    expect(tables.map((t) => t.tablename)).toEqual(EXPECTED_TABLES);
    const recorded = await session.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(recorded.map((r) => r.migration_name)).toEqual(applied);
    expect(recorded[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    // A second run applies nothing.
    expect(await applyMigrations(session)).toEqual([]);
    await pglite.close();
  });

  it('persist on disk: reopening the folder finds the data', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'airlock-pglite-'));
    const first = await openDb({ pgliteDir: dir });
    await first.system.org.create({ data: { slug: 'persisted', name: 'P' } });
    await first.close();
    const second = await openDb({ pgliteDir: dir });
    expect(await second.system.org.findUnique({ where: { slug: 'persisted' } })).not.toBeNull();
    await second.close();
  });

  it('roll back a failing migration completely and refuse to continue past it', async () => {
    const dir = copyOfMigrations();
    const bad = path.join(dir, '99999999999999_broken');
    cpSync(path.join(dir, (await listMigrations(dir))[0]!), bad, { recursive: true });
    writeFileSync(
      path.join(bad, 'migration.sql'),
      'CREATE TABLE half_done (id int); SELECT no_such_function();',
    );
    const pglite = await PGlite.create('memory://');
    const session = pgliteSession(pglite);
    await expect(applyMigrations(session, dir)).rejects.toThrow(/migration 99999999999999_broken failed/);
    const half = await session.query(`SELECT 1 FROM pg_tables WHERE tablename = 'half_done'`);
    expect(half).toHaveLength(0);
    await pglite.close();
  });

  it('refuse a migration edited after it was applied', async () => {
    const dir = copyOfMigrations();
    const pglite = await PGlite.create('memory://');
    const session = pgliteSession(pglite);
    await applyMigrations(session, dir);
    const first = (await listMigrations(dir))[0]!;
    writeFileSync(path.join(dir, first, 'migration.sql'), '-- edited\n', { flag: 'a' });
    await expect(applyMigrations(session, dir)).rejects.toThrow(
      `migration ${first} was modified after it was applied`,
    );
    await pglite.close();
  });
});

describe('migrations on Postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(); // cloned from the template make test migrated
  });
  afterAll(async () => {
    await database.drop();
  });

  it('are all applied to the template, and re-running applies nothing', async () => {
    expect(await migratePostgres(database.url, { waitSeconds: 5 })).toEqual([]);
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" ORDER BY 1',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(await listMigrations());
    const tables = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%' ORDER BY 1`,
    );
    expect(tables.rows.map((t) => t.tablename)).toEqual(EXPECTED_TABLES);
    await client.end();
  });

  it('apply from empty to a fresh database, with two migrators racing safely', async () => {
    const admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    const name = `${database.name}_empty`;
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      const url = database.adminUrl.replace(`/${database.name}`, `/${name}`);
      const [a, b] = await Promise.all([migratePostgres(url), migratePostgres(url)]);
      expect([...a, ...b].sort()).toEqual(await listMigrations());
    } finally {
      await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('give up with the connection error when the server never comes up', async () => {
    const waits: string[] = [];
    await expect(
      migratePostgres('postgresql://nobody@127.0.0.1:1/none', {
        waitSeconds: 1,
        onWait: (e) => waits.push(e.message),
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(waits.length).toBeGreaterThanOrEqual(1);
  });
});
