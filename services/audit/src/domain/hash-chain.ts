// The per-org hash chain. Each stored row carries prevHash (the previous row's hash, or a
// checkpoint's, or GENESIS_HASH for the first row) and hash = sha256(prevHash + canonical JSON
// of the row). Changing, inserting or removing a row in the middle breaks the chain at that row.
import { createHash } from 'node:crypto';
import type { AuditEvent } from '@airlock/common';

export const GENESIS_HASH = '0'.repeat(64);

/** A stored audit row in the shape that is hashed (everything but prevHash, hash, ingestedAt). */
export interface ChainRecord {
  id: string;
  orgId: string | null;
  /** Position in the org's chain, from 1, as a decimal string (bigint in the database). */
  seq: string;
  /** ISO 8601 with milliseconds, UTC: exactly what timestamptz(3) gives back. */
  time: string;
  actor: { type: string; id: string | null; email: string | null };
  action: string;
  target: { type: string; id: string } | null;
  outcome: string;
  clientIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface ChainedRecord extends ChainRecord {
  prevHash: string;
  hash: string;
}

/** Where an org's chain currently ends. */
export interface ChainHead {
  seq: bigint;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0n, hash: GENESIS_HASH };

/**
 * JSON with object keys sorted at every level and no whitespace, so the same row always
 * serializes to the same bytes, whatever order jsonb or a client returns keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; a row never holds them.
    if (text === undefined) throw new TypeError('value has no JSON form');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

/**
 * canonicalJson of the hashed fields of a record, built by hand in sorted key order because
 * ingest hashes every row: same bytes as canonicalJson(pick(record)), a test pins that.
 */
export function canonicalRecord(r: ChainRecord): string {
  const actor = `{"email":${str(r.actor.email)},"id":${str(r.actor.id)},"type":${str(r.actor.type)}}`;
  const target = r.target === null ? 'null' : `{"id":${str(r.target.id)},"type":${str(r.target.type)}}`;
  return (
    `{"action":${str(r.action)},"actor":${actor},"clientIp":${str(r.clientIp)},` +
    `"details":${canonicalJson(r.details)},"id":${str(r.id)},"orgId":${str(r.orgId)},` +
    `"outcome":${str(r.outcome)},"requestId":${str(r.requestId)},"seq":${str(r.seq)},` +
    `"target":${target},"time":${str(r.time)},"userAgent":${str(r.userAgent)}}`
  );
}

export function hashRecord(prevHash: string, record: ChainRecord): string {
  return createHash('sha256').update(prevHash).update(canonicalRecord(record)).digest('hex');
}

/** The stored form of a validated event at a given chain position (time cut to milliseconds). */
export function recordOf(event: AuditEvent, seq: bigint): ChainRecord {
  return {
    id: event.id.toLowerCase(),
    orgId: event.orgId?.toLowerCase() ?? null,
    seq: seq.toString(),
    time: new Date(event.time).toISOString(),
    actor: event.actor,
    action: event.action,
    target: event.target,
    outcome: event.outcome,
    clientIp: event.clientIp,
    userAgent: event.userAgent,
    requestId: event.requestId,
    details: event.details,
  };
}

/** The key an org's chain is serialized on ('platform' for events without an org). */
export function chainKey(orgId: string | null): string {
  return orgId ?? 'platform';
}

/**
 * Appends events (in the order given) to their orgs' chains. `heads` holds each org's current
 * end, keyed by chainKey; it is advanced in place so a caller can append again.
 */
export function appendToChains(
  events: readonly AuditEvent[],
  heads: Map<string, ChainHead>,
): ChainedRecord[] {
  return events.map((event) => {
    const key = chainKey(event.orgId?.toLowerCase() ?? null);
    const head = heads.get(key) ?? EMPTY_HEAD;
    const record = recordOf(event, head.seq + 1n);
    const hash = hashRecord(head.hash, record);
    heads.set(key, { seq: head.seq + 1n, hash });
    return { ...record, prevHash: head.hash, hash };
  });
}
