// The embedded database (PGlite) and the in-memory Redis stand-in are loaded only by a
// process that uses them: a replica on Postgres and Redis never holds their code (about
// 3–5 MB of live heap, which V8 multiplies under load), and all-in-one still gets both.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, testEnv, type TestDatabase } from '../../testing/index.js';
import { runFixture } from '../helpers.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/stand-ins-loaded.ts');

const run = async (env: Record<string, string | undefined>) => {
  const { DATABASE_URL: _d, REDIS_URL: _r, ...rest } = process.env;
  return JSON.parse(await runFixture(FIXTURE, { env: { ...rest, NODE_ENV: 'test', ...env } })) as unknown;
};

describe('stand-ins load on first use', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('a process on Postgres and Redis never loads PGlite or ioredis-mock', async () => {
    expect(await run({ DATABASE_URL: database.url, REDIS_URL: testEnv.redisUrl })).toEqual({
      kinds: ['postgres', 'redis'],
      one: 1,
      pong: 'PONG',
      before: { pglite: false, redisMock: false },
      after: { pglite: false, redisMock: false },
    });
  });

  it('a process without DATABASE_URL and REDIS_URL loads both when it opens them, and they work', async () => {
    expect(await run({})).toEqual({
      kinds: ['pglite', 'memory'],
      one: 1,
      pong: 'PONG',
      before: { pglite: false, redisMock: false },
      after: { pglite: true, redisMock: true },
    });
  });
});
