// Reads an org's current policy for every service. The current version is cached in process
// and dropped on the pub/sub message rbac publishes after each change, so a replica applies a
// change within milliseconds; CACHE_TTL_MS bounds staleness if a message is lost.
import type { Db } from '../db/client.js';
import { AirlockError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Redis, RedisHandle } from '../redis/client.js';
import { DEFAULT_POLICY, policySchema, type Policy } from './schema.js';

export const POLICY_CHANNEL = 'airlock:policy:changed';
const CACHE_TTL_MS = 30_000;

export interface VersionedPolicy {
  /** 0 when the org has never saved a policy (DEFAULT_POLICY applies). */
  version: number;
  policy: Policy;
}

export interface PolicyReader {
  get(orgId: string): Promise<VersionedPolicy>;
  /**
   * Drops this process's cached policy of an org now (the writer calls it, so its own next
   * request cannot beat the pub/sub message). Optional so hand-made test readers need not.
   */
  invalidate?(orgId: string): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Tells every replica that an org's policy changed (rbac calls this after commit). */
export async function publishPolicyChange(redis: Redis, orgId: string, version: number): Promise<void> {
  await redis.publish(POLICY_CHANNEL, JSON.stringify({ orgId, version }));
}

export function createPolicyReader({
  db,
  redis,
  logger,
  clock = () => new Date(),
}: {
  db: Db;
  redis: RedisHandle;
  logger: Logger;
  clock?: () => Date;
}): PolicyReader {
  const cache = new Map<string, { value: VersionedPolicy; expires: number }>();
  const loading = new Map<string, Promise<VersionedPolicy>>();
  /** Bumped on every invalidation, so a load that started before it is not cached. */
  const generations = new Map<string, number>();
  let subscriber: Redis | undefined;

  function invalidate(orgId?: string): void {
    if (orgId === undefined) {
      for (const key of new Set([...cache.keys(), ...loading.keys(), ...generations.keys()])) invalidate(key);
      return;
    }
    generations.set(orgId, (generations.get(orgId) ?? 0) + 1);
    cache.delete(orgId);
    loading.delete(orgId);
  }

  async function load(orgId: string): Promise<VersionedPolicy> {
    // Plain SQL in the org's scope (db/sql.ts): the gateway reads policies on its hot path.
    const [row] = await db.sql.inScope({ orgId }, (q) =>
      q<{ version: number; document: unknown }>(
        'SELECT version, document FROM org_policies WHERE org_id = $1 ORDER BY version DESC LIMIT 1',
        [orgId],
      ),
    );
    if (!row) return { version: 0, policy: DEFAULT_POLICY };
    // Stored documents were validated on write; parsing again applies defaults added since.
    // One a later schema refuses is the org's state, not a server fault: a coded 409 that
    // tells the admin to save the policy again, instead of a 500.
    const parsed = policySchema.safeParse(row.document);
    if (!parsed.success) {
      throw new AirlockError(
        'policy_invalid',
        "this organisation's stored policy no longer validates; an admin must save it again",
        { cause: parsed.error },
      );
    }
    return { version: row.version, policy: parsed.data };
  }

  return {
    async get(orgId) {
      const hit = cache.get(orgId);
      if (hit && hit.expires > clock().getTime()) return hit.value;
      // One load per org at a time, however many requests arrive together.
      let pending = loading.get(orgId);
      if (!pending) {
        const generation = generations.get(orgId) ?? 0;
        pending = load(orgId).then((value) => {
          // A change announced while this load ran may not be in what it read: serve the
          // value to the callers that waited, but do not cache it.
          if ((generations.get(orgId) ?? 0) === generation) {
            cache.set(orgId, { value, expires: clock().getTime() + CACHE_TTL_MS });
          }
          return value;
        });
        const settled = pending.finally(() => {
          if (loading.get(orgId) === settled) loading.delete(orgId);
        });
        loading.set(orgId, settled);
        pending = settled;
      }
      return pending;
    },
    invalidate(orgId) {
      invalidate(orgId);
    },
    async start() {
      subscriber = redis.duplicate();
      subscriber.on('message', (_channel: string, message: string) => {
        try {
          const { orgId } = JSON.parse(message) as { orgId: unknown };
          if (typeof orgId !== 'string') throw new TypeError('no org id');
          invalidate(orgId);
        } catch {
          invalidate();
        }
      });
      // A reconnect may have missed messages: start clean.
      subscriber.on('ready', () => invalidate());
      await subscriber.subscribe(POLICY_CHANNEL).catch((e: unknown) => {
        logger.warn({ err: (e as Error).message }, 'policy subscription failed; relying on TTL');
      });
    },
    async stop() {
      subscriber?.disconnect();
      subscriber = undefined;
    },
  };
}
