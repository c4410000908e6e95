import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  AuditEventError,
  CONTENT_KEYS,
  auditEventSchema,
  isValidAiRequestEvent,
  parseAuditEvent,
  parsePublishedEvent,
  type AuditEvent,
} from '../../src/audit/event.js';

// The gateway publishes one ai.request event per model call, so it is checked by a
// precompiled predicate before the full schema. The predicate may only ever accept what the
// schema accepts; everything else must still be refused by the schema.

const aiRequest = (): Record<string, unknown> => ({
  id: randomUUID(),
  time: new Date().toISOString(),
  orgId: randomUUID(),
  actor: { type: 'user', id: 'u1', email: 'a@example.com' },
  action: 'ai.request',
  target: { type: 'model', id: 'llama-3' },
  outcome: 'success',
  clientIp: '127.0.0.1',
  userAgent: 'openai-node/6',
  requestId: 'r-1',
  details: {
    model: 'llama-3',
    requestedModel: 'claude-sonnet-4-5',
    upstream: 'vllm',
    endpoint: 'chat.completions',
    status: 200,
    stream: false,
    promptTokens: 7,
    completionTokens: 3,
    usageEstimated: false,
    latencyMs: 1.25,
    ttfbMs: 0.5,
    tokenId: 'tok-1',
    redactions: { email: 1 },
    errorCode: undefined,
  },
});

type Mutation = [string, (e: Record<string, unknown>) => void];
const details = (e: Record<string, unknown>) => e.details as Record<string, unknown>;

const MUTATIONS: Mutation[] = [
  ['an undeclared details key', (e) => (details(e).extra = 1)],
  ...[...CONTENT_KEYS].map<Mutation>((k) => [`a "${k}" details key`, (e) => (details(e)[k] = 'secret')]),
  ['a content key inside redactions', (e) => (details(e).redactions = { Prompt: 1 })],
  ['a content key in the actor', (e) => ((e.actor as Record<string, unknown>).messages = [])],
  ['an extra envelope key', (e) => (e.body = 'x')],
  ['a missing target', (e) => delete e.target],
  ['a missing client IP', (e) => delete e.clientIp],
  ['an undefined actor email', (e) => ((e.actor as Record<string, unknown>).email = undefined)],
  ['a bad id', (e) => (e.id = 'not-a-uuid')],
  ['a bad time', (e) => (e.time = '2026-13-45T99:00:00.000Z')],
  ['a time with an offset', (e) => (e.time = '2026-11-25T10:00:00.000+01:00')],
  ['a bad org id', (e) => (e.orgId = 'org-1')],
  ['an unknown actor type', (e) => ((e.actor as Record<string, unknown>).type = 'robot')],
  ['an unknown outcome', (e) => (e.outcome = 'ok')],
  ['an unknown endpoint', (e) => (details(e).endpoint = 'images')],
  ['a fractional status', (e) => (details(e).status = 200.5)],
  ['a string status', (e) => (details(e).status = '200')],
  ['an unlisted error code', (e) => (details(e).errorCode = 'oops')],
  ['an upstream status that is no status', (e) => (details(e).errorCode = 'upstream_999')],
  ['negative tokens', (e) => (details(e).promptTokens = -1)],
  ['fractional tokens', (e) => (details(e).completionTokens = 1.5)],
  ['a NaN latency', (e) => (details(e).latencyMs = Number.NaN)],
  ['an infinite latency', (e) => (details(e).latencyMs = Number.POSITIVE_INFINITY)],
  ['a negative time to first byte', (e) => (details(e).ttfbMs = -1)],
  ['a missing model', (e) => delete details(e).model],
  ['a long model', (e) => (details(e).model = 'm'.repeat(257))],
  ['a long requested model', (e) => (details(e).requestedModel = 'm'.repeat(257))],
  ['a numeric requested model', (e) => (details(e).requestedModel = 5)],
  ['a long user agent', (e) => (e.userAgent = 'u'.repeat(513))],
  ['an empty token id', (e) => (details(e).tokenId = '')],
  ['a long redaction type', (e) => (details(e).redactions = { ['t'.repeat(65)]: 1 })],
  ['a fractional redaction count', (e) => (details(e).redactions = { email: 0.5 })],
  ['an array as details', (e) => (e.details = [])],
  ['a non-boolean stream', (e) => (details(e).stream = 'true')],
];

describe('the ai.request fast path', () => {
  it('accepts a valid gateway event, and parsing returns it unchanged', () => {
    const event = aiRequest();
    expect(isValidAiRequestEvent(event)).toBe(true);
    expect(auditEventSchema.safeParse(event).success).toBe(true);
    expect(JSON.stringify(parseAuditEvent(event))).toBe(JSON.stringify(event));
  });

  it.each(MUTATIONS)('refuses %s, and the full schema refuses it too', (_name, mutate) => {
    const event = aiRequest();
    mutate(event);
    expect(isValidAiRequestEvent(event)).toBe(false);
    expect(() => parseAuditEvent(event)).toThrow(AuditEventError);
  });

  it('never accepts what the full schema refuses, on generated events', () => {
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const event = aiRequest();
      // Apply up to three random mutations, or none.
      for (let n = Math.floor(Math.random() * 4); n > 0; n--) {
        MUTATIONS[Math.floor(Math.random() * MUTATIONS.length)]![1](event);
      }
      const fast = isValidAiRequestEvent(event);
      const full = auditEventSchema.safeParse(event).success;
      if (fast) {
        accepted++;
        expect(full).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('leaves other actions to the full schema', () => {
    const event = { ...aiRequest(), action: 'auth.logout', details: {} };
    expect(isValidAiRequestEvent(event)).toBe(false);
    expect(parseAuditEvent(event).action).toBe('auth.logout');
  });
});

// What the publisher checks on the event it has just built: the same verdict as the full
// parse, on every mutation of what its caller supplies. The envelope's keys, the id (uuidv7)
// and the time (toISOString) come from the publisher itself, so those mutations do not apply.
const BUILT_BY_PUBLISHER = new Set(['an extra envelope key', 'a bad id', 'a bad time']);
const CALLER_MUTATIONS = MUTATIONS.filter(([name]) => !BUILT_BY_PUBLISHER.has(name));

describe("the publisher's check", () => {
  const verdict = (f: () => unknown): string => {
    try {
      f();
      return 'accepted';
    } catch (e) {
      return e instanceof AuditEventError ? `refused: ${e.problems.join('; ')}` : `threw ${String(e)}`;
    }
  };

  it('accepts a valid gateway event and returns it unchanged', () => {
    const event = aiRequest() as AuditEvent;
    expect(parsePublishedEvent(event)).toBe(event);
  });

  it.each(CALLER_MUTATIONS)('refuses %s exactly as the full parse does', (_name, mutate) => {
    const event = aiRequest();
    mutate(event);
    const published = verdict(() => parsePublishedEvent(event as AuditEvent));
    expect(published).toMatch(/^refused: /);
    expect(published).toBe(verdict(() => parseAuditEvent(event)));
  });

  it("gives the full parse's verdict on generated events", () => {
    for (let i = 0; i < 2000; i++) {
      const event = aiRequest();
      for (let n = Math.floor(Math.random() * 4); n > 0; n--) {
        CALLER_MUTATIONS[Math.floor(Math.random() * CALLER_MUTATIONS.length)]![1](event);
      }
      expect(verdict(() => parsePublishedEvent(event as AuditEvent))).toBe(
        verdict(() => parseAuditEvent(event)),
      );
    }
  });

  it('refuses a time toISOString writes for a year past 9999', () => {
    const event = { ...aiRequest(), time: new Date(Date.UTC(10000, 0, 1)).toISOString() };
    expect(event.time).toBe('+010000-01-01T00:00:00.000Z');
    expect(CALLER_MUTATIONS.length).toBe(MUTATIONS.length - BUILT_BY_PUBLISHER.size);
    expect(() => parsePublishedEvent(event as AuditEvent)).toThrow(AuditEventError);
  });

  it('checks other actions with the full schema', () => {
    const event = {
      ...aiRequest(),
      action: 'auth.logout',
      details: { prompt: 'x' },
    } as unknown as AuditEvent;
    expect(() => parsePublishedEvent(event)).toThrow(/details\.prompt/);
  });
});
