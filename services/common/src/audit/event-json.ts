// The JSON text of an ai.request event the publisher's check accepted (event.ts,
// isPublishedAiRequest): its shape is known, so the text is written field by field instead of
// JSON.stringify walking the objects (about half the time for the gateway's event). Only
// strings need care: printable ASCII other than `"` and `\` is its own JSON; anything else
// goes through JSON.stringify. Tests compare the result with JSON.stringify's on generated
// events, and what reaches the stream with the published events (a field added to the
// envelope but not here fails that one).
import type { AuditEvent } from './event.js';

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const quote = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const quoteOrNull = (s: string | null): string => (s === null ? 'null' : quote(s));

/**
 * Only for an event that isPublishedAiRequest accepted: its actor and target have exactly
 * their fixed keys, details only declared keys (plain identifiers) with strings, finite
 * numbers, booleans or a redactions object, and the id and time need no escaping.
 */
export function aiRequestJson(e: AuditEvent): string {
  const { actor, target, details } = e;
  let json =
    `{"id":"${e.id}","time":"${e.time}","orgId":${e.orgId === null ? 'null' : quote(e.orgId)},` +
    `"actor":{"type":"${actor.type}","id":${quoteOrNull(actor.id)},"email":${quoteOrNull(actor.email)}},` +
    `"action":"ai.request","target":${target === null ? 'null' : `{"type":${quote(target.type)},"id":${quote(target.id)}}`},` +
    `"outcome":"${e.outcome}","clientIp":${quoteOrNull(e.clientIp)},"userAgent":${quoteOrNull(e.userAgent)},` +
    `"requestId":${quoteOrNull(e.requestId)},"details":{`;
  let separator = '';
  for (const key in details) {
    const value = details[key];
    if (value === undefined) continue; // as JSON.stringify: an absent optional field
    const text =
      typeof value === 'string'
        ? quote(value)
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    json += `${separator}"${key}":${text}`;
    separator = ',';
  }
  return `${json}}}`;
}
