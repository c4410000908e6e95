// How audit events sit in Redis. Publishers write batches: one stream entry holds several
// events (field `events`, a JSON array; field `n`, how many), so a burst of N events costs one
// XADD instead of N. Earlier versions wrote one event per entry (field `event`) to another
// stream; the audit service keeps reading that one too, so events an older replica publishes
// during a rolling upgrade are still stored. The batches live on a stream of their own because
// an older audit service would acknowledge an entry it cannot read (no `event` field) as
// foreign and lose it: on its own stream, a batch simply waits for a consumer that reads it.

/** Where publishers write (batched entries). */
export const AUDIT_STREAM = 'airlock:audit:batches';
/** Where earlier versions wrote one event per entry; still read by the audit service. */
export const AUDIT_LEGACY_STREAM = 'airlock:audit:events';

export const EVENT_FIELD = 'event';
export const EVENTS_FIELD = 'events';
export const COUNT_FIELD = 'n';

/** Bounds of one batched entry: events, and characters of its JSON array. */
export const MAX_EVENTS_PER_ENTRY = 64;
export const MAX_ENTRY_CHARS = 256 * 1024;

/** The payload of one stream entry: a single event, a batch (JSON array), or nothing usable. */
export interface EntryPayload {
  form: 'event' | 'events' | 'none';
  /** The JSON text of the event or of the array; null for 'none'. */
  json: string | null;
  /** How many events the entry says it holds (1 for a single event); a hint, not checked. */
  count: number;
}

/** Reads the fields of a stream entry (as XRANGE/XREADGROUP return them). */
export function entryPayload(fields: readonly string[] | null | undefined): EntryPayload {
  let event: string | null = null;
  let events: string | null = null;
  let count = 0;
  for (let i = 0; fields && i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === EVENTS_FIELD) events = fields[i + 1]!;
    else if (name === EVENT_FIELD) event = fields[i + 1]!;
    else if (name === COUNT_FIELD) count = Number(fields[i + 1]);
  }
  if (events !== null) {
    return { form: 'events', json: events, count: Number.isSafeInteger(count) && count > 0 ? count : 1 };
  }
  if (event !== null) return { form: 'event', json: event, count: 1 };
  return { form: 'none', json: null, count: 0 };
}

/**
 * The events of one entry as parsed JSON, unvalidated: for tests and tools that read the
 * stream directly. The audit service validates each one (services/audit/src/ingest).
 */
export function eventsOfEntry<T = unknown>(fields: readonly string[]): T[] {
  const { form, json } = entryPayload(fields);
  if (form === 'none') return [];
  const value = JSON.parse(json!) as unknown;
  return (form === 'events' ? value : [value]) as T[];
}
