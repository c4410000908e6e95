import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openDb, type Db } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../../testing/index.js';

// Postgres restarting, a failover or an administrator ends the pool's idle connections. pg
// reports that as an 'error' event on the pool: unheard, it would crash the process (the
// gateway, which queries through db.sql only, never had Prisma's listener on it).
describe('an idle pooled connection that the server ends', () => {
  let database: TestDatabase;
  let db: Db;
  const heard: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDb({ url: database.url, poolSize: 2, onIdleError: (e) => heard.push(e.message) });
  });
  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  it('is reported to onIdleError, and the next query opens a new connection', async () => {
    const pid = (await db.sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
    const admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    // The terminated connection tells its client asynchronously: wait for the report.
    for (let i = 0; i < 200 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(heard).toEqual([expect.stringMatching(/terminating connection due to administrator command/)]);
    const next = (await db.sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
    expect(next).not.toBe(pid);
  });
});
