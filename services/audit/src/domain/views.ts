// How audit events look to API clients and in exports.
import type { ChainedRecord } from './hash-chain.js';

export interface AuditEventView {
  id: string;
  seq: string;
  time: string;
  orgId: string | null;
  actor: ChainedRecord['actor'];
  action: string;
  target: ChainedRecord['target'];
  outcome: string;
  clientIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export function viewOf(r: ChainedRecord): AuditEventView {
  return {
    id: r.id,
    seq: r.seq,
    time: r.time,
    orgId: r.orgId,
    actor: r.actor,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    clientIp: r.clientIp,
    userAgent: r.userAgent,
    requestId: r.requestId,
    details: r.details,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

export const CSV_COLUMNS = [
  'id',
  'seq',
  'time',
  'actorType',
  'actorId',
  'actorEmail',
  'action',
  'targetType',
  'targetId',
  'outcome',
  'clientIp',
  'userAgent',
  'requestId',
  'details',
  'prevHash',
  'hash',
] as const;

export function csvValues(v: AuditEventView): unknown[] {
  return [
    v.id,
    v.seq,
    v.time,
    v.actor.type,
    v.actor.id,
    v.actor.email,
    v.action,
    v.target?.type,
    v.target?.id,
    v.outcome,
    v.clientIp,
    v.userAgent,
    v.requestId,
    v.details,
    v.prevHash,
    v.hash,
  ];
}
