// Redis: a real server from REDIS_URL, or an in-memory stand-in (memory-client.ts) for
// all-in-one and development. Config refuses the stand-in in production; this function
// refuses it again so no other code path can reach it there.
import { Redis } from 'ioredis';
import { openMemoryRedis } from './memory-client.js';

export type { Redis };

export interface RedisOptions {
  url?: string;
  nodeEnv: 'development' | 'test' | 'production';
  /** Bound on every command, so a hung server fails a request instead of hanging it. */
  commandTimeoutMs: number;
  /** Connection errors (ioredis emits one per failed reconnect). */
  onError?: (error: Error) => void;
}

export interface RedisHandle {
  readonly kind: 'redis' | 'memory';
  readonly client: Redis;
  /** A second connection for SUBSCRIBE (a subscribed connection cannot run commands). */
  duplicate(): Redis;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function openRedis({
  url,
  nodeEnv,
  commandTimeoutMs,
  onError = () => undefined,
}: RedisOptions): RedisHandle {
  if (!url) {
    if (nodeEnv === 'production') throw new Error('REDIS_URL is required in production');
    const client = openMemoryRedis();
    return {
      kind: 'memory',
      client,
      duplicate: () => client.duplicate(),
      ping: async () => {
        await client.ping();
      },
      close: async () => {
        client.disconnect();
      },
    };
  }
  const options = {
    commandTimeout: commandTimeoutMs,
    // Fail fast while disconnected instead of queueing: callers decide whether that means
    // "refuse" (auth, limits) or "carry on" (caches). Connection attempts continue forever.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  };
  const client = new Redis(url, options);
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash.
  client.on('error', onError);
  return {
    kind: 'redis',
    client,
    duplicate: () => {
      const dup = new Redis(url, { ...options, enableOfflineQueue: true });
      dup.on('error', onError);
      return dup;
    },
    ping: async () => {
      // Right after start-up (or a blip) the client is still connecting: give it up to one
      // command timeout before calling Redis unavailable.
      await redisReadyOrTimeout(client, commandTimeoutMs);
      await client.ping();
    },
    close: async () => {
      client.disconnect();
    },
  };
}

/** Resolves when the connection is ready, or after timeoutMs (Redis may be down: go on anyway). */
export function redisReadyOrTimeout(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
  });
}
