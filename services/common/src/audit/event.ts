import { z } from 'zod';
import { ACTION_DETAILS, AUDIT_ACTIONS, type AuditAction, type AuditDetails } from './actions.js';

/**
 * Keys that could carry prompt or completion text. They are refused anywhere in an event,
 * at publish time and again at ingest, even inside details that would otherwise validate.
 */
export const CONTENT_KEYS = new Set([
  'body',
  'choices',
  'completion',
  'content',
  'input',
  'messages',
  'output',
  'prompt',
  'text',
]);

// Called on every published and ingested event: walks without building a path per level
// (allocations only on a hit, which is the rare, refused case).
function findContentKey(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findContentKey(value[i]);
      if (found) {
        found.unshift(String(i));
        return found;
      }
    }
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      if (CONTENT_KEYS.has(k.toLowerCase())) return [k];
      const found = findContentKey(record[k]);
      if (found) {
        found.unshift(k);
        return found;
      }
    }
  }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const auditEventSchema = z
  .strictObject({
    id: z.string().regex(UUID),
    time: z.iso.datetime(),
    orgId: z.string().regex(UUID).nullable(),
    actor: z.strictObject({
      type: z.enum(['user', 'token', 'scim', 'system', 'anonymous']),
      id: z.string().max(128).nullable(),
      email: z.string().max(320).nullable(),
    }),
    action: z.enum(AUDIT_ACTIONS as [AuditAction, ...AuditAction[]]),
    target: z.strictObject({ type: z.string().max(64), id: z.string().max(256) }).nullable(),
    outcome: z.enum(['success', 'failure', 'denied']),
    clientIp: z.string().max(64).nullable(),
    userAgent: z.string().max(512).nullable(),
    requestId: z.string().max(128).nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .superRefine((event, ctx) => {
    const contentKey = findContentKey(event);
    if (contentKey) {
      ctx.addIssue({
        code: 'custom',
        path: contentKey,
        message: 'content fields are never audited',
      });
      return;
    }
    const details = ACTION_DETAILS[event.action].safeParse(event.details);
    if (!details.success) {
      for (const issue of details.error.issues) {
        ctx.addIssue({
          code: 'custom',
          path: ['details', ...issue.path.map(String)],
          message: issue.message,
        });
      }
    }
  });

export type AuditEvent = z.output<typeof auditEventSchema>;

/** What a publisher supplies; id and time are filled in. */
export type AuditEventInput<A extends AuditAction = AuditAction> = {
  action: A;
  orgId: string | null;
  actor: AuditEvent['actor'];
  outcome: AuditEvent['outcome'];
  details: AuditDetails<A>;
  target?: AuditEvent['target'];
  clientIp?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  time?: Date;
};

export class AuditEventError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid audit event: ${problems.join('; ')}`);
    this.name = 'AuditEventError';
  }
}

/** Validates an event (publish and ingest). Throws AuditEventError listing every problem. */
export function parseAuditEvent(value: unknown): AuditEvent {
  const result = auditEventSchema.safeParse(value);
  if (result.success) return result.data;
  throw new AuditEventError(result.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`));
}
