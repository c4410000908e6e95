// Checks a stream message again at ingest: the publisher validated it, but anything can write
// to the stream. What is rejected is described by paths only, never by values, so no content
// reaches a log line or the dead-letter stream.
import { AuditEventError, parseAuditEvent, UUID_PATTERN, type AuditEvent } from '@airlock/common';

const UUID = UUID_PATTERN;
const SAFE_SEGMENT = /^[A-Za-z0-9_.-]{1,64}$/;

export type Checked =
  { ok: true; event: AuditEvent } | { ok: false; eventId: string | null; problems: string[] };

/** A path from a validation message, with any segment that could carry text masked. */
function safePath(problem: string): string {
  const path = problem.slice(0, Math.max(0, problem.indexOf(': '))) || '(event)';
  return path
    .split('.')
    .map((s) => (SAFE_SEGMENT.test(s) ? s : '<key>'))
    .join('.');
}

/** Postgres text and jsonb refuse NUL; such an event could never commit, so it is refused here. */
function findNul(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(event)' : undefined;
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return [...path, '<key>'].join('.');
      const found = findNul(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Checks one event entry (field `event`): its JSON text. */
export function checkMessage(raw: string): Checked {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, eventId: null, problems: ['(event): not JSON'] };
  }
  return checkValue(value);
}

/**
 * Checks a batched entry (field `events`): a JSON array whose events are checked one by one,
 * so an invalid event is refused alone and its neighbours are stored. An entry that is not a
 * JSON array is refused as a whole (one result, index null).
 */
export function checkBatch(raw: string): (Checked & { index: number | null })[] {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [{ ok: false, eventId: null, problems: ['(events): not JSON'], index: null }];
  }
  if (!Array.isArray(value))
    return [{ ok: false, eventId: null, problems: ['(events): not an array'], index: null }];
  return value.map((v: unknown, index) => ({ ...checkValue(v), index }));
}

/** Checks one parsed event. */
export function checkValue(value: unknown): Checked {
  const id = (value as { id?: unknown } | null)?.id;
  const eventId = typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : null;
  try {
    const event = parseAuditEvent(value);
    const nul = findNul(event);
    if (nul) return { ok: false, eventId, problems: [`${safePath(`${nul}: x`)}: NUL character`] };
    return { ok: true, event };
  } catch (e) {
    if (!(e instanceof AuditEventError)) throw e;
    const problems = [...new Set(e.problems.map(safePath))].slice(0, 20);
    return { ok: false, eventId, problems };
  }
}
