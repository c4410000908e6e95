// Wrong user codes typed at /device, counted per client IP and per member in Redis (shared by
// every replica). Only misses count: a whole office behind one NAT address approving its own
// codes never hits the limit, while guessing (which is nearly all misses) soon does.
import { sha256Hex, type RedisHandle } from '@airlock/common';
import { hit } from './throttle.js';

export const GUESS_WINDOW_SECONDS = 600;
const NAME = 'device-code-miss';

const counterKey = (subject: string) => `airlock:throttle:${NAME}:${sha256Hex(subject)}`;

/** True when any of the subjects has used up its misses. Throws when Redis cannot say (fail closed). */
export async function guessesExhausted(
  redis: RedisHandle,
  subjects: string[],
  limit: number,
): Promise<boolean> {
  const counts = await redis.client.mget(...subjects.map(counterKey));
  return counts.some((c) => c !== null && Number(c) >= limit);
}

/** Counts one miss for each subject. Throws when Redis cannot count it. */
export async function countMiss(redis: RedisHandle, subjects: string[]): Promise<void> {
  for (const subject of subjects) {
    // The limit is checked by guessesExhausted before each lookup; here we only count.
    const result = await hit(redis, NAME, subject, Number.MAX_SAFE_INTEGER, GUESS_WINDOW_SECONDS);
    if (result.ok === 'unavailable') throw result.cause;
  }
}
