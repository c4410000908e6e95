// Audit publishing cost on the caller's side: CPU µs per event for publish() plus the drain
// to Redis, with the gateway's ai.request event, against a real Redis.
//
//   . ./.devenv   # TEST_REDIS_URL (or pass --redis)
//   node_modules/.bin/tsx --conditions=@airlock/source scripts/bench/audit-publish.ts \
//     [--events 10000] [--per-tick 16] [--rounds 5] [--linger MS] [--redis redis://…]
//
// Events are published `--per-tick` at a time with a macrotask between groups (as requests
// finish on a busy gateway), then flushed. The stream is a throwaway key, deleted afterwards.
// One JSON line per round; the CPU figure is this process's user+system time (Redis excluded).
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { createAuditPublisher, createLogger, openRedis, type AuditEventInput } from '@airlock/common';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    'per-tick': { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    // The publisher's linger (lingerMs); unset: its default.
    linger: { type: 'string' },
    redis: { type: 'string', default: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  },
});
const N = Number(values.events);
const PER_TICK = Number(values['per-tick']);
const ROUNDS = Number(values.rounds);

const orgId = randomUUID();
/** What the gateway's finish() hands the publisher for one chat call. */
function input(i: number): AuditEventInput<'ai.request'> {
  return {
    action: 'ai.request',
    orgId,
    actor: { type: 'token', id: randomUUID(), email: 'dev@example.com' },
    outcome: 'success',
    target: { type: 'model', id: 'llama-3-70b-instruct' },
    clientIp: '::ffff:127.0.0.1',
    userAgent: 'OpenAI/JS 6.1.0',
    requestId: `req-${i}`,
    details: {
      model: 'llama-3-70b-instruct',
      requestedModel: undefined,
      upstream: 'vllm-a',
      endpoint: 'chat.completions',
      status: 200,
      stream: false,
      promptTokens: 12,
      completionTokens: 34,
      usageEstimated: false,
      latencyMs: 1.234,
      ttfbMs: undefined,
      tokenId: randomUUID(),
      redactions: undefined,
      errorCode: undefined,
      clientTool: 'openai-sdk',
    },
  };
}

const handle = openRedis({ url: values.redis, nodeEnv: 'test', commandTimeoutMs: 5_000 });
// The shared client every process publishes with (runtime.ts): no offline queue, so wait.
await handle.ping();
const stream = `bench:audit:${randomUUID()}`;
const publisher = createAuditPublisher({
  redis: handle.client,
  logger: createLogger({ level: 'warn', service: 'bench' }),
  metrics: new Registry(),
  stream,
  ...(values.linger === undefined ? {} : { lingerMs: Number(values.linger) }),
});
const inputs = Array.from({ length: N }, (_, i) => input(i));
const tick = () => new Promise((r) => setImmediate(r));

for (let round = 0; round < ROUNDS; round++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    publisher.publish(inputs[i]!);
    if ((i + 1) % PER_TICK === 0) await tick();
  }
  const left = await publisher.flush(60_000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const entries = await handle.client.xlen(stream);
  await handle.client.del(stream);
  process.stdout.write(
    `${JSON.stringify({
      round,
      events: N,
      perTick: PER_TICK,
      left,
      streamEntries: entries,
      cpuUsPerEvent: Number(((cpu.user + cpu.system) / N).toFixed(2)),
      wallUsPerEvent: Number(((wallMs * 1000) / N).toFixed(2)),
    })}\n`,
  );
}
await publisher.stop();
await handle.close();
