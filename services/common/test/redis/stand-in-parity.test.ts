// The in-memory stand-in must answer as Redis does for every stream command the services use:
// the same script runs against the real Redis of the suite and against the stand-in, and the
// replies must be equal (generated ids are compared by position, not value).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { openRedis, type RedisHandle } from '@airlock/common';
import { testEnv } from '@airlock/common/testing';

type Step = (r: RedisHandle['client'], key: string) => Promise<unknown>;

async function run(handle: RedisHandle, steps: Step[], key: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const step of steps)
    out.push(await step(handle.client, key).catch((e: Error) => `ERR:${e.message.split(' ')[0]}`));
  return out;
}

const idsAt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => `${n}-0`);

const script: Step[] = [
  ...idsAt.map(
    (id): Step =>
      (r, k) =>
        r.xadd(k, id, 'event', `e${id}`),
  ),
  (r, k) => r.xadd(k, '5-0', 'event', 'old'), // smaller than the top: refused
  (r, k) => r.xlen(k),
  (r, k) => r.xrange(k, '9-0', '+'),
  (r, k) => r.xrange(k, '(9-0', '10-0'),
  (r, k) => r.xrevrange(k, '+', '-', 'COUNT', 2),
  (r, k) => r.xread('COUNT', 100, 'STREAMS', k, '9-0'),
  (r, k) => r.xread('COUNT', 2, 'STREAMS', k, '0'),
  (r, k) => r.xgroup('CREATE', k, 'g', '0', 'MKSTREAM'),
  (r, k) => r.xgroup('CREATE', k, 'g', '0', 'MKSTREAM'), // BUSYGROUP
  (r, k) => r.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 10, 'STREAMS', k, '>'),
  (r, k) => r.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 10, 'STREAMS', k, '>'),
  (r, k) => r.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 3, 'STREAMS', k, '0'),
  (r, k) => r.xack(k, 'g', '1-0', '2-0', '99-0'),
  (r, k) => r.xpending(k, 'g'),
  async (r, k) => ((await r.xpending(k, 'g', '-', '+', 3)) as unknown[][]).map((p) => [p[0], p[1], p[3]]),
  (r, k) => r.xautoclaim(k, 'g', 'c2', 0, '0-0', 'COUNT', 4),
  (r, k) => r.xpending(k, 'g'),
  (r, k) => r.xreadgroup('GROUP', 'nope', 'c1', 'STREAMS', k, '>'), // NOGROUP
  (r, k) => r.xtrim(k, 'MINID', '6-0'),
  (r, k) => r.xautoclaim(k, 'g', 'c2', 0, '0-0', 'COUNT', 100),
  async (r, k) => ((await r.xinfo('GROUPS', k)) as unknown[][]).map((g) => g.slice(0, 8)),
  (r, k) => r.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 50, 'STREAMS', k, '>'),
  async (r, k) => {
    const p = r.pipeline();
    for (let i = 0; i < 3; i++) p.xadd(k, '*', 'event', String(i));
    return ((await p.exec()) ?? []).map(([err, id]) => (err ? 'err' : /^\d+-\d+$/.test(String(id))));
  },
  (r, k) => r.xlen(k),
  // A script defined without numberOfKeys takes the key count as its first argument (ioredis).
  (r, k) => {
    r.defineCommand('parityIncr', { lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])" });
    return (r as unknown as { parityIncr(...a: unknown[]): Promise<unknown> }).parityIncr(1, `${k}:n`, 5);
  },
  (r, k) => r.get(`${k}:n`),
  (r, k) => r.del(k, `${k}:n`),
  (r, k) => r.xlen(k),
];

describe('the in-memory Redis stand-in', () => {
  let real: RedisHandle;
  let memory: RedisHandle;
  beforeAll(async () => {
    real = openRedis({ url: testEnv.redisUrl, nodeEnv: 'test', commandTimeoutMs: 2_000 });
    memory = openRedis({ nodeEnv: 'test', commandTimeoutMs: 2_000 });
    await Promise.all([real.ping(), memory.ping()]);
  });
  afterAll(async () => {
    await real.close();
    await memory.close();
  });

  it('answers every stream command the services use as real Redis does', async () => {
    const key = `parity:${randomUUID()}`;
    const [a, b] = await Promise.all([run(real, script, key), run(memory, script, key)]);
    expect(b).toEqual(a);
    // And the script is not trivially equal: ids past 9 are read back in numeric order.
    expect(a[idsAt.length + 5]).toEqual([
      [
        expect.any(String),
        [
          ['10-0', ['event', 'e10-0']],
          ['11-0', ['event', 'e11-0']],
          ['12-0', ['event', 'e12-0']],
        ],
      ],
    ]);
  });

  it('reports status ready while connected and end after close, as ioredis does', async () => {
    const handle = openRedis({ nodeEnv: 'test', commandTimeoutMs: 2_000 });
    await handle.ping();
    expect(handle.client.status).toBe('ready');
    expect(handle.duplicate().status).toBe('ready');
    await handle.close();
    expect(handle.client.status).toBe('end');
  });

  it('wakes a blocked XREADGROUP when an entry is added', async () => {
    const key = `parity:${randomUUID()}`;
    const reader = memory.duplicate();
    await memory.client.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
    const read = reader.xreadgroup('GROUP', 'g', 'c', 'BLOCK', 0, 'STREAMS', key, '>');
    await memory.client.xadd(key, '*', 'event', 'x');
    const reply = (await read) as [string, [string, string[]][]][];
    expect(reply[0]![1][0]![1]).toEqual(['event', 'x']);
  });
});
