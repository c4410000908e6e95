// A second process, standing in for a gateway replica: it reads an org's policy through
// createPolicyReader (cached, invalidated by Redis pub/sub) and prints each version it sees
// as one JSON line {version, at}. Run by policy-distribution.test.ts; not a test itself.
import { createLogger, createPolicyReader, openDb, openRedis } from '@airlock/common';

const { DATABASE_URL, REDIS_URL, ORG_ID } = process.env;
if (!DATABASE_URL || !REDIS_URL || !ORG_ID)
  throw new Error('DATABASE_URL, REDIS_URL and ORG_ID are required');

const db = await openDb({ url: DATABASE_URL, poolSize: 2 });
const redis = openRedis({ url: REDIS_URL, nodeEnv: 'test', commandTimeoutMs: 2_000 });
const reader = createPolicyReader({
  db,
  redis,
  logger: createLogger({ level: 'silent', service: 'watcher' }),
});
await reader.start();

let seen = -1;
const timer = setInterval(() => {
  reader.get(ORG_ID).then(
    ({ version }) => {
      if (version === seen) return;
      seen = version;
      process.stdout.write(`${JSON.stringify({ version, at: Date.now() })}\n`);
    },
    (e: unknown) => process.stderr.write(`${(e as Error).message}\n`),
  );
}, 5);

process.on('SIGTERM', () => {
  clearInterval(timer);
  void reader.stop().then(async () => {
    await redis.close();
    await db.close();
    process.exit(0);
  });
});
