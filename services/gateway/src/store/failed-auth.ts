// Stricter limits on failed authentication per client IP. Failures are counted in Redis
// (shared by replicas); once an IP is over the limit it is blocked in process until the
// window ends, so successful requests never pay a Redis round trip for this.
import type { Redis } from '@airlock/common';

const WINDOW_MS = 60_000;

export interface FailedAuthGuard {
  /** Seconds until the IP may try again, or 0. */
  blockedFor(ip: string, now: number): number;
  recordFailure(ip: string, now: number): Promise<void>;
}

export function createFailedAuthGuard(redis: Redis, perMinute: number): FailedAuthGuard {
  const blocked = new Map<string, number>();
  return {
    blockedFor(ip, now) {
      const until = blocked.get(ip);
      if (until === undefined) return 0;
      if (until <= now) {
        blocked.delete(ip);
        return 0;
      }
      return Math.ceil((until - now) / 1000);
    },
    async recordFailure(ip, now) {
      const window = Math.floor(now / WINDOW_MS);
      const key = `airlock:gw:authfail:${ip}:${window}`;
      const [[, count] = [null, 0]] =
        (await redis
          .multi()
          .incr(key)
          .pexpire(key, WINDOW_MS * 2)
          .exec()) ?? [];
      if (Number(count) >= perMinute) {
        if (blocked.size > 100_000) blocked.clear();
        blocked.set(ip, (window + 1) * WINDOW_MS);
      }
    },
  };
}
