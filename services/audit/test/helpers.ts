// Builders shared by the audit service's tests.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import { createLogger, parseAuditEvent, type AuditEvent, type Logger } from '@airlock/common';

/** A logger whose lines the test can read back. */
export function captureLogger(level = 'debug'): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level, service: 'audit-test', destination }), text: () => chunks.join('') };
}

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
