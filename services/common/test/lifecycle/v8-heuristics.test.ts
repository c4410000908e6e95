// Every process opened through openRuntime turns V8's allocation-site pretenuring off unless
// AIRLOCK_V8_PRETENURING=true (why: lifecycle/v8-heuristics.ts). Observed from V8 itself: with
// --trace-pretenuring-statistics it reports the feedback it processes at each collection.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applyV8Heuristics, NO_PRETENURING_FLAG } from '../../src/lifecycle/v8-heuristics.js';
import { createTestDatabase, testEnv, type TestDatabase } from '../../testing/index.js';
import { runFixture } from '../helpers.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/pretenuring-workload.ts');

describe('applyV8Heuristics', () => {
  it('switches pretenuring off by default and leaves V8 alone when asked to keep it', () => {
    const set: string[] = [];
    applyV8Heuristics({ AIRLOCK_V8_PRETENURING: false }, (f) => set.push(f));
    expect(set).toEqual([NO_PRETENURING_FLAG]);
    applyV8Heuristics({ AIRLOCK_V8_PRETENURING: true }, (f) => set.push(f));
    expect(set).toEqual([NO_PRETENURING_FLAG]);
  });
});

describe('a process opened through openRuntime', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  const feedbackLines = async (extra: Record<string, string>) => {
    const stdout = await runFixture(FIXTURE, {
      // --no-opt: optimised code stops leaving the allocation mementos V8 counts, and when it
      // takes over depends on the machine's load; unoptimised, every literal leaves one.
      nodeArgs: ['--no-opt', '--trace-pretenuring-statistics'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        REDIS_URL: testEnv.redisUrl,
        ...extra,
      },
    });
    expect(stdout).toContain('workload done 20000');
    const afterOpen = stdout.slice(stdout.indexOf('\nruntime open\n'));
    expect(afterOpen).toContain('workload done');
    return afterOpen.split('\n').filter((l) => l.includes('pretenuring:')).length;
  };

  it('processes no pretenuring feedback once it has opened', async () => {
    expect(await feedbackLines({})).toBe(0);
  });

  it('with AIRLOCK_V8_PRETENURING=true, V8 processes it as by default', async () => {
    expect(await feedbackLines({ AIRLOCK_V8_PRETENURING: 'true' })).toBeGreaterThan(0);
  });
});
