import { z } from 'zod';
import {
  ACTION_DETAILS,
  AI_ENDPOINTS,
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditDetails,
} from './actions.js';
import { isGatewayErrorCode } from './vocabularies.js';
import { UUID_PATTERN } from '../db/uuid.js';

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

const UUID = UUID_PATTERN;

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

// A precompiled check for ai.request, the one action published per model call. It only
// ever accepts: anything it does not recognise as valid goes through the full schema above,
// which decides and names the problems. It is a subset of that schema (a test compares the
// two on generated events). It needs no content-key walk: every object it accepts has only
// keys from the fixed lists below, with scalar values, except `redactions`, whose keys it
// checks itself; and the process refuses to start should a content key ever join one of
// those lists (the guard after them). A new non-scalar field must bring its own key check.
const ENVELOPE_KEYS = new Set([
  'id',
  'time',
  'orgId',
  'actor',
  'action',
  'target',
  'outcome',
  'clientIp',
  'userAgent',
  'requestId',
  'details',
]);
const ACTOR_TYPES = new Set(['user', 'token', 'scim', 'system', 'anonymous']);
const OUTCOMES = new Set(['success', 'failure', 'denied']);
const ENDPOINTS = new Set<string>(AI_ENDPOINTS);
const CLIENT_TOOL = /^[a-z0-9-]{1,32}$/;
const AI_REQUEST_KEYS = new Set([
  'model',
  'upstream',
  'endpoint',
  'status',
  'stream',
  'promptTokens',
  'completionTokens',
  'usageEstimated',
  'latencyMs',
  'ttfbMs',
  'tokenId',
  'redactions',
  'errorCode',
  'cached',
  'clientTool',
  'requestedModel',
]);
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type Obj = Record<string, unknown>;
const isPlain = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const str = (v: unknown, max: number): boolean => typeof v === 'string' && v.length <= max;
const strOrNull = (v: unknown, max: number): boolean => v === null || str(v, max);
const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isDuration = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isBool = (v: unknown): boolean => typeof v === 'boolean';
// for…in instead of Object.keys: no array per object checked. The objects are plain (isPlain),
// so it visits their own keys (an enumerable key someone put on Object.prototype would show up
// too and be refused, which only sends the event to the schema).
const onlyKeys = (o: Obj, keys: ReadonlySet<string>): boolean => {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
};

function isIsoMillis(v: unknown): boolean {
  if (typeof v !== 'string' || !ISO_MILLIS.test(v)) return false;
  const t = Date.parse(v);
  return !Number.isNaN(t) && new Date(t).toISOString() === v; // a real calendar instant
}

// The only object in an ai.request event whose keys are not a fixed list: the one place a
// content key could hide once the structure is known (see the guard on the fixed lists below).
function isRedactions(v: unknown): boolean {
  if (!isPlain(v)) return false;
  for (const k in v) {
    if (k.length > 64 || !isCount(v[k]) || CONTENT_KEYS.has(k.toLowerCase())) return false;
  }
  return true;
}

function isAiRequestDetails(d: unknown): boolean {
  return (
    isPlain(d) &&
    onlyKeys(d, AI_REQUEST_KEYS) &&
    str(d.model, 256) &&
    optional(d.upstream, (v) => str(v, 128)) &&
    typeof d.endpoint === 'string' &&
    ENDPOINTS.has(d.endpoint) &&
    Number.isSafeInteger(d.status) &&
    isBool(d.stream) &&
    optional(d.promptTokens, isCount) &&
    optional(d.completionTokens, isCount) &&
    optional(d.usageEstimated, isBool) &&
    isDuration(d.latencyMs) &&
    optional(d.ttfbMs, isDuration) &&
    optional(d.tokenId, (v) => str(v, 128) && (v as string).length >= 1) &&
    optional(d.redactions, isRedactions) &&
    optional(d.errorCode, (v) => str(v, 64) && isGatewayErrorCode(v)) &&
    optional(d.cached, isBool) &&
    optional(d.clientTool, (v) => typeof v === 'string' && CLIENT_TOOL.test(v)) &&
    optional(d.requestedModel, (v) => str(v, 256))
  );
}

/** Everything but the envelope's own keys and the id and time, which the publisher vouches for. */
function isValidAiRequestBody(e: Obj): boolean {
  const actor = e.actor;
  const target = e.target;
  return (
    (e.orgId === null || (typeof e.orgId === 'string' && UUID.test(e.orgId))) &&
    isPlain(actor) &&
    onlyKeys(actor, ACTOR_KEYS) &&
    typeof actor.type === 'string' &&
    ACTOR_TYPES.has(actor.type) &&
    strOrNull(actor.id, 128) &&
    strOrNull(actor.email, 320) &&
    (target === null ||
      (isPlain(target) && onlyKeys(target, TARGET_KEYS) && str(target.type, 64) && str(target.id, 256))) &&
    typeof e.outcome === 'string' &&
    OUTCOMES.has(e.outcome) &&
    strOrNull(e.clientIp, 64) &&
    strOrNull(e.userAgent, 512) &&
    strOrNull(e.requestId, 128) &&
    isAiRequestDetails(e.details)
  );
}

/**
 * True only for a valid ai.request event with no content key; false means "ask the schema".
 * No full content-key walk: every object it accepts has only the fixed keys below (none a
 * content key, checked at load) and scalar values, except redactions, whose keys are checked.
 */
export function isValidAiRequestEvent(e: unknown): e is AuditEvent {
  return (
    isPlain(e) &&
    e.action === 'ai.request' &&
    onlyKeys(e, ENVELOPE_KEYS) &&
    typeof e.id === 'string' &&
    UUID.test(e.id) &&
    isIsoMillis(e.time) &&
    isValidAiRequestBody(e)
  );
}
const ACTOR_KEYS = new Set(['type', 'id', 'email']);
const TARGET_KEYS = new Set(['type', 'id']);

// The fast path's argument for skipping the content-key walk, enforced: should a content key
// ever join one of these lists, the process refuses to start instead of auditing content.
for (const keys of [ENVELOPE_KEYS, ACTOR_KEYS, TARGET_KEYS, AI_REQUEST_KEYS]) {
  for (const k of keys) {
    if (CONTENT_KEYS.has(k.toLowerCase())) throw new Error(`audit fast path admits content key ${k}`);
  }
}

/**
 * Validates an event the publisher has just built (createAuditPublisher): its own object
 * literal with exactly the envelope keys, the id from uuidv7 and the time from toISOString.
 * Those need no check, except that toISOString writes a year outside 0000–9999 with a sign
 * and six digits (27 characters), which the schema refuses. Everything the caller supplied
 * is checked as parseAuditEvent checks it; any doubt goes to parseAuditEvent.
 */
export function parsePublishedEvent(value: AuditEvent): AuditEvent {
  if (
    value.action === 'ai.request' &&
    value.time.length === 24 &&
    isValidAiRequestBody(value as unknown as Obj)
  )
    return value;
  return parseAuditEvent(value);
}

/** Validates an event (publish and ingest). Throws AuditEventError listing every problem. */
export function parseAuditEvent(value: unknown): AuditEvent {
  if (isValidAiRequestEvent(value)) return value;
  const result = auditEventSchema.safeParse(value);
  if (result.success) return result.data;
  throw new AuditEventError(result.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`));
}
