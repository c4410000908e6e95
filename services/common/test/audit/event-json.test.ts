import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { isPublishedAiRequest, type AuditEvent } from '../../src/audit/event.js';
import { aiRequestJson } from '../../src/audit/event-json.js';

// The publisher writes the gateway's ai.request event field by field; it must be the JSON
// that JSON.stringify writes, for every string the caller can put in it.

const AWKWARD = [
  '',
  'plain text',
  'quote " inside',
  'back\\slash',
  'tab\tnew\nline\r',
  '\u0000\u001f control',
  'ünïcödé',
  '雪',
  'emoji 🚀',
  'lone \ud800 surrogate',
  '</script>',
  '\u2028\u2029 separators',
  '{"json":"looking"}',
];
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const maybe = <T>(value: T): T | undefined => (Math.random() < 0.5 ? value : undefined);
const text = () => pick(AWKWARD) + (Math.random() < 0.5 ? '' : pick(AWKWARD));
const textOrNull = () => (Math.random() < 0.2 ? null : text());

function generated(): AuditEvent {
  return {
    id: uuidv7(),
    time: new Date(Math.floor(Math.random() * 4e12)).toISOString(),
    orgId: Math.random() < 0.1 ? null : randomUUID(),
    actor: {
      type: pick(['user', 'token', 'scim', 'system', 'anonymous'] as const),
      id: textOrNull(),
      email: textOrNull(),
    },
    action: 'ai.request',
    target: Math.random() < 0.2 ? null : { type: text().slice(0, 64), id: text() },
    outcome: pick(['success', 'failure', 'denied'] as const),
    clientIp: textOrNull(),
    userAgent: textOrNull(),
    requestId: textOrNull(),
    details: {
      model: text(),
      requestedModel: maybe(text()),
      upstream: maybe(text()),
      endpoint: pick(['chat.completions', 'completions', 'embeddings', 'messages', 'responses']),
      status: pick([200, 400, 429, 499, 502]),
      stream: Math.random() < 0.5,
      promptTokens: maybe(Math.floor(Math.random() * 1e6)),
      completionTokens: maybe(0),
      usageEstimated: maybe(Math.random() < 0.5),
      latencyMs: pick([0, 1.234, 12345.678, 1e-7, Number.MAX_SAFE_INTEGER]),
      ttfbMs: maybe(Math.random() * 100),
      tokenId: maybe(`tok-${text()}`),
      redactions: maybe({ email: 1, [text().slice(0, 64)]: 2 }),
      errorCode: maybe(pick(['upstream_timeout', 'upstream_502', 'rate_limited'])),
      cached: maybe(Math.random() < 0.5),
      clientTool: maybe(pick(['openai-sdk', 'curl', 'claude-code'])),
    },
  };
}

describe('the ai.request event as JSON', () => {
  it('is the text JSON.stringify writes, on generated events with awkward strings', () => {
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const event = generated();
      if (!isPublishedAiRequest(event)) continue; // e.g. an error code the vocabulary refuses
      checked++;
      expect(aiRequestJson(event)).toBe(JSON.stringify(event));
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('is the same JSON whatever order the caller wrote the actor in', () => {
    const event = generated();
    event.actor = { email: 'a@example.com', id: 'u1', type: 'user' };
    expect(isPublishedAiRequest(event)).toBe(true);
    expect(JSON.parse(aiRequestJson(event))).toEqual(JSON.parse(JSON.stringify(event)));
  });
});
