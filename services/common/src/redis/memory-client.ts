// The in-memory Redis stand-in (all-in-one, development): ioredis-mock for strings, keys,
// Lua and pub/sub, with two gaps closed so code written against real Redis behaves the same:
// - `status` (ioredis-mock has none): 'ready' while connected, 'end' after disconnect, which is
//   what the gateway's fail-closed Redis check and the Redis-ready wait read;
// - the stream commands (MemoryStreams), whose ioredis-mock versions lose entries;
// - defineCommand without numberOfKeys, which ioredis reads as "the first argument is the key
//   count" and ioredis-mock runs with no keys at all (the gateway's limit script failed).
// Config refuses the stand-in in production. ioredis-mock (and the Lua VM it carries, about
// 3.5 MB of live heap) is loaded on first use, so a process with a real Redis never holds it.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type RedisMockClass from 'ioredis-mock';
import { MemoryStreams } from './memory-streams.js';

const require = createRequire(import.meta.url);

const STREAM_COMMANDS = [
  'xadd',
  'xtrim',
  'xdel',
  'xlen',
  'xrange',
  'xrevrange',
  'xread',
  'xreadgroup',
  'xgroup',
  'xack',
  'xpending',
  'xautoclaim',
  'xinfo',
] as const;

interface MockInternals {
  connected: boolean;
  keyData: string;
  customCommands: Record<string, (...args: unknown[]) => Promise<unknown>>;
  duplicate(override?: object): unknown;
  del(...keys: unknown[]): Promise<number>;
  eval(script: string, ...args: unknown[]): Promise<unknown>;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
}

// One stream store per ioredis-mock data set: the mock shares data between all instances
// with the same host/port/db (keyData), duplicates included.
const stores = new Map<string, MemoryStreams>();

function install(mock: MockInternals): Redis {
  let streams = stores.get(mock.keyData);
  if (!streams) {
    streams = new MemoryStreams();
    stores.set(mock.keyData, streams);
  }
  const store = streams;
  Object.defineProperty(mock, 'status', {
    get: () => (mock.connected ? 'ready' : 'end'),
    configurable: true,
  });
  const run = (name: (typeof STREAM_COMMANDS)[number], args: unknown[]): unknown => {
    const a = args.flat().map(String);
    switch (name) {
      case 'xrevrange':
        return store.xrange(a, true);
      default:
        return (store[name] as (args: string[]) => unknown).call(store, a);
    }
  };
  for (const name of STREAM_COMMANDS) {
    const command = (...args: unknown[]): Promise<unknown> => {
      // Like ioredis: a trailing callback is honoured, errors reject.
      const callback =
        typeof args[args.length - 1] === 'function'
          ? (args.pop() as (e: unknown, r?: unknown) => void)
          : undefined;
      const result = new Promise((resolve) => resolve(run(name, args)));
      if (callback)
        result.then(
          (r) => callback(null, r),
          (e: unknown) => callback(e),
        );
      return result;
    };
    // customCommands are copied into every pipeline/multi as well.
    mock.customCommands[name] = command;
    // The mock defines unsupported commands as writable, non-configurable throwers.
    (mock as unknown as Record<string, unknown>)[name] = command;
  }
  // DEL also removes streams (they live beside ioredis-mock's own key space).
  const del = mock.del.bind(mock);
  const streamDel = async (...keys: unknown[]): Promise<number> => {
    const names = keys.flat().map(String);
    let removed = 0;
    for (const k of names) if (store.delete(k)) removed += 1;
    return removed + (await del(...names));
  };
  mock.customCommands.del = streamDel;
  mock.del = streamDel;
  const defineCommand = mock.defineCommand.bind(mock);
  mock.defineCommand = (name, definition) => {
    if (definition.numberOfKeys !== undefined) return defineCommand(name, definition);
    const command = (...args: unknown[]): Promise<unknown> => mock.eval(definition.lua, ...args);
    mock.customCommands[name] = command;
    (mock as unknown as Record<string, unknown>)[name] = command;
  };
  const duplicate = mock.duplicate.bind(mock);
  mock.duplicate = (override?: object) => install(duplicate(override) as MockInternals);
  return mock as unknown as Redis;
}

export function openMemoryRedis(): Redis {
  const RedisMock = require('ioredis-mock') as typeof RedisMockClass;
  return install(new RedisMock() as unknown as MockInternals);
}
