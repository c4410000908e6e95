// Builders shared by the audit service's tests.
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { createLogger, parseAuditEvent, type AuditEvent } from '@airlock/common';

export const silentLogger = createLogger({ level: 'silent', service: 'audit-test' });

let clock = Date.parse('2026-11-01T00:00:00.000Z');

/** A valid ai.request event (or any action with matching details), validated like the publisher does. */
export function makeEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  clock += 1000;
  return parseAuditEvent({
    id: uuidv7(),
    time: new Date(clock).toISOString(),
    orgId: randomUUID(),
    actor: { type: 'user', id: randomUUID(), email: 'ada@example.com' },
    action: 'ai.request',
    target: { type: 'model', id: 'llama-3-70b' },
    outcome: 'success',
    clientIp: '10.0.0.1',
    userAgent: 'curl/8',
    requestId: 'req-1',
    details: {
      model: 'llama-3-70b',
      endpoint: 'chat.completions',
      status: 200,
      stream: false,
      latencyMs: 12,
    },
    ...overrides,
  });
}
