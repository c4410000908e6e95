import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { createAuditPublisher, type AuditPublisher } from '../../src/audit/publisher.js';
import { AUDIT_STREAM, MAX_EVENTS_PER_ENTRY, eventsOfEntry } from '../../src/audit/stream-format.js';
import { AuditEventError } from '../../src/audit/event.js';
import { openRedis, type RedisHandle } from '../../src/redis/client.js';
import { startRedis, waitFor, type ServerProcess } from '../../testing/index.js';
import { captureLogger } from '../../testing/logger.js';

const STREAM = AUDIT_STREAM;

function tokenCreated(orgId: string, i: number) {
  return {
    action: 'token.created' as const,
    orgId,
    actor: { type: 'user' as const, id: `u-${i}`, email: null },
    outcome: 'success' as const,
    details: {},
  };
}

async function metricValue(metrics: Registry, name: string): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
  return Number((metric?.values[0] as { value: number } | undefined)?.value ?? NaN);
}

// Own Redis: these tests stop it.
describe('audit publisher while Redis is unavailable', () => {
  let server: ServerProcess;
  let redis: RedisHandle;
  const publishers: AuditPublisher[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = openRedis({ url: server.url, nodeEnv: 'test', commandTimeoutMs: 300 });
  });
  afterAll(async () => {
    for (const p of publishers) await p.stop();
    await redis?.close();
    await server?.destroy();
  });

  function publisher(options: { spoolLimit?: number } = {}) {
    const log = captureLogger();
    const metrics = new Registry();
    const p = createAuditPublisher({
      redis: redis.client,
      logger: log.logger,
      metrics,
      retryMs: 100,
      ...options,
    });
    publishers.push(p);
    return { p, log, metrics };
  }

  const streamIds = async () =>
    (await redis.client.xrange(STREAM, '-', '+')).flatMap(([, f]) =>
      eventsOfEntry<{ id: string }>(f).map((e) => e.id),
    );

  it('spools events while Redis is down and delivers all of them, in order, once it is back', async () => {
    const { p, metrics } = publisher();
    await waitFor(async () => (await redis.client.ping().catch(() => '')) === 'PONG');
    await redis.client.del(STREAM);
    await server.stop();
    const orgId = randomUUID();
    const ids = Array.from({ length: 50 }, (_, i) => p.publish(tokenCreated(orgId, i)).id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await metricValue(metrics, 'airlock_audit_spool_size')).toBe(50);
    await server.start();
    await waitFor(async () => (await streamIds().catch(() => [])).length >= 50, 15_000);
    expect(await streamIds()).toEqual(ids);
    expect(await metricValue(metrics, 'airlock_audit_spool_size')).toBe(0);
    expect(await metricValue(metrics, 'airlock_audit_events_dropped_total')).toBe(0);
  });

  it('packs a burst into a few batched entries: the same events, in order, as published one by one', async () => {
    const { p } = publisher();
    await waitFor(async () => (await redis.client.ping().catch(() => '')) === 'PONG');
    await redis.client.del(STREAM);
    const orgId = randomUUID();
    const published = Array.from({ length: 150 }, (_, i) => p.publish(tokenCreated(orgId, i)));
    expect(await p.flush()).toBe(0);
    const entries = await redis.client.xrange(STREAM, '-', '+');
    expect(entries.length).toBe(Math.ceil(150 / MAX_EVENTS_PER_ENTRY));
    for (const [, fields] of entries) {
      expect(fields.length).toBe(4);
      expect([fields[0], fields[2]]).toEqual(['n', 'events']);
      expect(Number(fields[1])).toBe(eventsOfEntry(fields).length);
      expect(eventsOfEntry(fields).length).toBeLessThanOrEqual(MAX_EVENTS_PER_ENTRY);
    }
    expect(entries.flatMap(([, f]) => eventsOfEntry(f))).toEqual(JSON.parse(JSON.stringify(published)));

    // A lone event is an entry of its own, in the same form.
    await redis.client.del(STREAM);
    const lone = p.publish(tokenCreated(orgId, 150));
    expect(await p.flush()).toBe(0);
    const [[, fields]] = (await redis.client.xrange(STREAM, '-', '+')) as [[string, string[]]];
    expect(fields).toEqual(['n', '1', 'events', JSON.stringify([lone])]);
  });

  it("writes the gateway's ai.request events exactly as published", async () => {
    const { p } = publisher();
    await waitFor(async () => (await redis.client.ping().catch(() => '')) === 'PONG');
    await redis.client.del(STREAM);
    const published = ['plain', 'quote " and \\ back', 'ünï 🚀 \u0001'].map((s, i) =>
      p.publish({
        action: 'ai.request',
        orgId: randomUUID(),
        actor: { type: 'token', id: `tok-${s}`, email: null },
        outcome: 'success',
        target: { type: 'model', id: s },
        userAgent: s,
        requestId: `r-${i}`,
        details: {
          model: s,
          endpoint: 'chat.completions',
          status: 200,
          stream: false,
          promptTokens: i,
          latencyMs: 1.5,
          redactions: i === 0 ? undefined : { email: i },
        },
      }),
    );
    expect(await p.flush()).toBe(0);
    const entries = await redis.client.xrange(STREAM, '-', '+');
    expect(entries.flatMap(([, f]) => eventsOfEntry(f))).toEqual(JSON.parse(JSON.stringify(published)));
  });

  it('sends a burst spooled while Redis was down as several batched entries, nothing lost or doubled', async () => {
    const { p, metrics } = publisher();
    await waitFor(async () => (await redis.client.ping().catch(() => '')) === 'PONG');
    await redis.client.del(STREAM);
    await server.stop();
    const orgId = randomUUID();
    const ids = Array.from({ length: 700 }, (_, i) => p.publish(tokenCreated(orgId, i)).id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await metricValue(metrics, 'airlock_audit_spool_size')).toBe(700);
    await server.start();
    await waitFor(async () => (await streamIds().catch(() => [])).length >= 700, 15_000);
    expect(await p.flush()).toBe(0);
    expect(await streamIds()).toEqual(ids);
    // Two rounds (512 events, then 188), each cut into entries of at most MAX_EVENTS_PER_ENTRY.
    expect(await redis.client.xlen(STREAM)).toBe(
      Math.ceil(512 / MAX_EVENTS_PER_ENTRY) + Math.ceil(188 / MAX_EVENTS_PER_ENTRY),
    );
  });

  it('counts and logs each event dropped because the spool is full, and delivers the rest', async () => {
    const { p, log, metrics } = publisher({ spoolLimit: 3 });
    await waitFor(async () => (await redis.client.ping().catch(() => '')) === 'PONG');
    await redis.client.del(STREAM);
    await server.stop();
    const orgId = randomUUID();
    const events = Array.from({ length: 5 }, (_, i) => p.publish(tokenCreated(orgId, i)));
    expect(await metricValue(metrics, 'airlock_audit_events_dropped_total')).toBe(2);
    const dropLines = log.lines().filter((l) => l.includes('audit spool full: event dropped'));
    expect(dropLines.map((l) => (JSON.parse(l) as { eventId: string }).eventId)).toEqual([
      events[3]!.id,
      events[4]!.id,
    ]);
    await server.start();
    await waitFor(async () => (await streamIds().catch(() => [])).length >= 3, 15_000);
    expect(await streamIds()).toEqual(events.slice(0, 3).map((e) => e.id));
  });
});

describe('audit publisher content rules', () => {
  const metrics = new Registry();
  const log = captureLogger();
  // No Redis needed: a rejected event never reaches the spool.
  const redis = openRedis({ nodeEnv: 'test', commandTimeoutMs: 300 });
  const p = createAuditPublisher({ redis: redis.client, logger: log.logger, metrics });
  afterAll(async () => {
    await p.stop();
    await redis.close();
  });

  const canary = `CANARY-${randomUUID()}`;
  const base = {
    action: 'ai.request' as const,
    orgId: randomUUID(),
    actor: { type: 'token' as const, id: 't1', email: null },
    outcome: 'success' as const,
  };
  const aiDetails = {
    model: 'm',
    endpoint: 'chat.completions' as const,
    status: 200,
    stream: false,
    latencyMs: 1,
  };

  it.each([
    ['a prompt in details', { ...aiDetails, prompt: canary }, 'details.prompt'],
    [
      'messages in details',
      { ...aiDetails, messages: [{ role: 'user', content: canary }] },
      'details.messages',
    ],
    [
      'a content key nested in an allowed field',
      { ...aiDetails, redactions: { Input: 1 } },
      'details.redactions.Input',
    ],
    ['an undeclared details key', { ...aiDetails, note: canary }, 'details'],
  ])('rejects %s, without the value in the error', (_name, details, path) => {
    let error: unknown;
    try {
      p.publish({ ...base, details } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuditEventError);
    expect((error as AuditEventError).problems.join('\n')).toContain(`${path}:`);
    expect((error as AuditEventError).message).not.toContain(canary);
  });

  it('rejects a content key anywhere in the event, not only in details', () => {
    expect(() =>
      p.publish({ ...base, details: aiDetails, target: { type: 'model', id: 'm', text: canary } } as never),
    ).toThrow(/target/);
  });

  it('spooled nothing and logged nothing for the rejected events', async () => {
    expect(await metricValue(metrics, 'airlock_audit_spool_size')).toBe(0);
    expect(log.lines().join('\n')).not.toContain(canary);
    expect(await redis.client.xlen(STREAM)).toBe(0);
  });
});
