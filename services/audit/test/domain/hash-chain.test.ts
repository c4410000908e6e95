import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  appendToChains,
  canonicalJson,
  canonicalRecord,
  GENESIS_HASH,
  hashRecord,
  recordOf,
  type ChainRecord,
} from '../../src/domain/hash-chain.js';
import { makeEvent } from '../helpers.js';

function pick(r: ChainRecord) {
  const { id, orgId, seq, time, actor, action, target, outcome, clientIp, userAgent, requestId, details } = r;
  return { id, orgId, seq, time, actor, action, target, outcome, clientIp, userAgent, requestId, details };
}

describe('hash chain', () => {
  it('serializes JSON canonically: sorted keys at every level, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: null }], c: 'x"' } })).toBe(
      '{"a":{"c":"x\\"","d":[3,{"y":null,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('builds the row form by hand exactly as the generic canonical JSON would', () => {
    const records = [
      recordOf(makeEvent(), 1n),
      recordOf(makeEvent({ target: null, orgId: null, clientIp: null, userAgent: 'é "quoted" \\ \n' }), 99n),
      recordOf(makeEvent({ actor: { type: 'system', id: null, email: null } }), 12345678901234n),
    ];
    for (const r of records) expect(canonicalRecord(r)).toBe(canonicalJson(pick(r)));
  });

  it('hashes the previous hash followed by the canonical row', () => {
    const r = recordOf(makeEvent(), 1n);
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonicalJson(pick(r)))
      .digest('hex');
    expect(hashRecord(GENESIS_HASH, r)).toBe(expected);
  });

  it('changes the hash when any field changes, including a nested detail', () => {
    const r = recordOf(makeEvent(), 1n);
    const base = hashRecord(GENESIS_HASH, r);
    expect(hashRecord(GENESIS_HASH, { ...r, outcome: 'failure' })).not.toBe(base);
    expect(hashRecord(GENESIS_HASH, { ...r, details: { ...r.details, latencyMs: 13 } })).not.toBe(base);
    expect(hashRecord(GENESIS_HASH, { ...r, seq: '2' })).not.toBe(base);
    expect(hashRecord('f'.repeat(64), r)).not.toBe(base);
  });

  it('numbers each org chain on its own and links each row to the previous one', () => {
    const a = '11111111-1111-4111-8111-111111111111';
    const b = '22222222-2222-4222-8222-222222222222';
    const heads = new Map();
    const rows = appendToChains(
      [makeEvent({ orgId: a }), makeEvent({ orgId: b }), makeEvent({ orgId: a })],
      heads,
    );
    expect(rows.map((r) => [r.orgId, r.seq])).toEqual([
      [a, '1'],
      [b, '1'],
      [a, '2'],
    ]);
    expect(rows[2]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[1]!.prevHash).toBe(GENESIS_HASH);
    expect(heads.get(a)).toEqual({ seq: 2n, hash: rows[2]!.hash });
  });

  it('stores the event time cut to milliseconds, as timestamptz(3) returns it', () => {
    const r = recordOf(makeEvent({ time: '2026-11-25T10:00:00.123456Z' }), 1n);
    expect(r.time).toBe('2026-11-25T10:00:00.123Z');
  });
});
