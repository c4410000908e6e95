import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  AuditEventError,
  CONTENT_KEYS,
  auditEventSchema,
  isValidAiRequestEvent,
  parseAuditEvent,
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
