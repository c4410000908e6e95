// Fixed-window counters in Redis, shared by every replica. Callers decide what "unavailable"
// means; for sign-in it means refuse (fail closed).
import { sha256Hex, type RedisHandle } from '@airlock/common';

export type ThrottleResult =
  { ok: true } | { ok: false; retryAfterSeconds: number } | { ok: 'unavailable'; cause: unknown };

/** Counts one hit for `subject` (hashed: IPs are not stored) and says whether it is over `limit`. */
export async function hit(
  redis: RedisHandle,
  name: string,
  subject: string,
  limit: number,
  windowSeconds: number,
): Promise<ThrottleResult> {
  const key = `airlock:throttle:${name}:${sha256Hex(subject)}`;
  try {
    // SET NX starts the window once (works on Redis 6.2; EXPIRE … NX needs 7).
    const results = await redis.client
      .multi()
      .set(key, '0', 'EX', windowSeconds, 'NX')
      .incr(key)
      .ttl(key)
      .exec();
    // exec() reports a failed command in its slot instead of throwing.
    if (!results || results.some(([err]) => err)) throw new Error('throttle counter failed');
    const count = Number(results[1]![1]);
    const ttl = Number(results[2]![1]);
    if (!Number.isFinite(count)) throw new Error('throttle counter unreadable');
    return count > limit ? { ok: false, retryAfterSeconds: Math.max(1, ttl) } : { ok: true };
  } catch (cause) {
    return { ok: 'unavailable', cause };
  }
}
