// What a reader may filter audit events by, checked strictly: an unknown or repeated query
// parameter is an error, not silently ignored (a typo must not widen an export).
import { AUDIT_ACTIONS, type AuditAction } from '@airlock/common';
import { z } from 'zod';
import { auditErrors } from '../errors.js';

const text = (max: number) => z.string().trim().min(1).max(max);

const filterFields = {
  from: z.iso.datetime({ offset: true }).optional().describe('events at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('events before (ISO 8601)'),
  actor: text(320).optional().describe('actor id or email'),
  actorType: z.enum(['user', 'token', 'scim', 'system', 'anonymous']).optional(),
  action: z
    .string()
    .max(2_000)
    .transform((v, ctx) => {
      const actions = v.split(',').map((a) => a.trim());
      const unknown = actions.filter((a) => !(AUDIT_ACTIONS as string[]).includes(a));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: 'unknown action' });
        return z.NEVER;
      }
      return actions as AuditAction[];
    })
    .optional()
    .describe('one action or a comma-separated list'),
  targetType: text(64).optional(),
  targetId: text(256).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  model: text(256).optional().describe('details.model of ai.request events'),
};

export const listQuerySchema = z.strictObject({
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().max(512).optional(),
});

export const exportQuerySchema = z.strictObject({
  ...filterFields,
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
});

export type AuditFilter = {
  [K in keyof typeof filterFields]?: z.output<(typeof filterFields)[K]>;
};

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (!result.success) {
    throw auditErrors.invalidQuery(result.error.issues);
  }
  return result.data;
}

/** The filters as recorded in the audit.exported event (strings only, no cursor). */
export function describeFilter(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || !(key in filterFields)) continue;
    out[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}

/** A position in (time, id) order; opaque to clients. */
export interface Cursor {
  time: string;
  id: string;
}

const cursorSchema = z.strictObject({ t: z.iso.datetime(), i: z.uuid() });

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.time, i: cursor.id })).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return { time: parsed.t, id: parsed.i };
  } catch {
    throw auditErrors.invalidCursor();
  }
}
