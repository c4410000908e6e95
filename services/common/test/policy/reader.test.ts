import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createPolicyReader, POLICY_CHANNEL, publishPolicyChange } from '../../src/policy/reader.js';
import { openRedis, type RedisHandle } from '../../src/redis/client.js';
import { openTestDb, testEnv, waitFor } from '../../testing/index.js';

const logger = createLogger({ level: 'silent', service: 'test' });

describe('createPolicyReader', () => {
  let db: Db;
  let close: () => Promise<void>;
  let redis: RedisHandle;
  let orgId: string;

  beforeAll(async () => {
    const t = await openTestDb();
    db = t.db;
    close = t.close;
    redis = openRedis({ url: testEnv.redisUrl, nodeEnv: 'test', commandTimeoutMs: 2_000 });
    orgId = (await db.system.org.create({ data: { slug: 'reader-org', name: 'R' } })).id;
  });
  afterAll(async () => {
    await redis.close();
    await close();
  });

  // Frozen: cached entries never expire by TTL, so only a change message can refresh them and
  // the tests can wait for it as long as a loaded machine needs.
  const frozen = new Date();
  const clock = () => frozen;

  const write = (version: number, privacyMode: string) =>
    db.system.orgPolicy.create({ data: { orgId, version, document: { privacyMode } } });

  it('serves version 0 and the defaults before any policy, then caches until told', async () => {
    const reader = createPolicyReader({ db, redis, logger, clock });
    await reader.start();
    try {
      expect((await reader.get(orgId)).version).toBe(0);
      await write(1, 'offline');
      expect((await reader.get(orgId)).version).toBe(0); // cached
      await publishPolicyChange(redis.client, orgId, 1);
      await waitFor(async () => (await reader.get(orgId)).version === 1);
      expect((await reader.get(orgId)).policy.privacyMode).toBe('offline');
    } finally {
      await reader.stop();
    }
  });

  it('does not cache a load that a change overtook', async () => {
    // A database whose first read is held until the test lets it go, so the change message
    // provably arrives while that read is in flight.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reads = 0;
    const slowDb = {
      sql: {
        inScope: async () => {
          reads += 1;
          if (reads === 1) {
            await gate;
            return [{ version: 1, document: {} }];
          }
          return [{ version: 2, document: {} }];
        },
      },
    } as unknown as Db;
    const reader = createPolicyReader({ db: slowDb, redis, logger });
    const first = reader.get(orgId);
    reader.invalidate?.(orgId); // the change message arrives mid-read
    release();
    expect((await first).version).toBe(1); // those already waiting get what was read
    expect((await reader.get(orgId)).version).toBe(2); // but it was not cached
    expect(reads).toBe(2);
  });

  it('drops everything on a message it cannot read', async () => {
    const reader = createPolicyReader({ db, redis, logger, clock });
    await reader.start();
    try {
      expect((await reader.get(orgId)).version).toBe(1);
      await write(3, 'normal');
      await redis.client.publish(POLICY_CHANNEL, 'not json');
      await waitFor(async () => (await reader.get(orgId)).version === 3);
    } finally {
      await reader.stop();
    }
  });
});
