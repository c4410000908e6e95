// Test sign-in reports, per connection and per admin who ran the test: kept in Redis for a few
// minutes and read once (GETDEL), like the sign-in state itself.
import type { RedisHandle } from '@airlock/common';
import type { TestSignInResult } from '../domain/sso-test.js';

export const TEST_RESULT_TTL_SECONDS = 600;

const KEY = (connectionId: string, userId: string) => `airlock:sso:test:${connectionId}:${userId}`;

export async function saveTestResult(redis: RedisHandle, userId: string, result: TestSignInResult) {
  await redis.client.set(
    KEY(result.connectionId, userId),
    JSON.stringify(result),
    'EX',
    TEST_RESULT_TTL_SECONDS,
  );
}

export async function takeTestResult(
  redis: RedisHandle,
  connectionId: string,
  userId: string,
): Promise<TestSignInResult | null> {
  const raw = await redis.client.getdel(KEY(connectionId, userId));
  return raw ? (JSON.parse(raw) as TestSignInResult) : null;
}
