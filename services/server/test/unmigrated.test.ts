// Start-up against a Postgres nobody migrated: one line saying what to run, exit 1, no stack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testEnv } from '@airlock/common/testing';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN = path.join(ROOT, 'services/server/src/main.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

describe('airlock main on an unmigrated Postgres', () => {
  const name = `t_empty_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let url: string;
  async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: testEnv.adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  beforeAll(async () => {
    // An empty database (not the migrated template), owned by the app role.
    await admin((c) => c.query(`CREATE DATABASE "${name}" OWNER "${testEnv.appRole}"`));
    const u = new URL(testEnv.adminUrl);
    u.pathname = `/${name}`;
    u.username = testEnv.appRole;
    url = u.toString();
  });
  afterAll(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  it.each(['all', 'gateway'])(
    '--target=%s stops with one line naming the migrate command',
    async (target) => {
      let stderr = '';
      const child = spawn(TSX, ['--conditions=@airlock/source', MAIN, `--target=${target}`], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'test',
          PORT: '0',
          HOST: '127.0.0.1',
          AIRLOCK_DEMO: 'false',
          DATABASE_URL: url,
          AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        },
      });
      child.stderr.on('data', (d) => (stderr += String(d)));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^airlock: the database is not migrated \(\d+ migrations pending, first \d+_/);
      expect(lines[0]).toContain('main.js migrate');
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      // And nothing was created: refusing does not half-migrate.
      const superuser = new URL(testEnv.adminUrl);
      superuser.pathname = `/${name}`;
      const db = new pg.Client({ connectionString: superuser.toString() });
      await db.connect();
      const tables = (await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`))
        .rows[0].n;
      await db.end();
      expect(tables).toBe(0);
    },
    60_000,
  );
});
