// Recomputes an org's chain and reports the first broken link. Reading goes through an async
// iterable, so a chain of any length is checked in constant memory.
import { hashRecord, type ChainHead, type ChainedRecord } from './hash-chain.js';

export type BrokenReason =
  /** The row's content no longer matches its own hash: this row was changed. */
  | 'hash_mismatch'
  /** The row does not point at the previous row's hash: the previous row was changed or replaced. */
  | 'prev_hash_mismatch'
  /** A position is missing: a row before this one was deleted. */
  | 'seq_gap'
  /** The chain starts after position 1 with no retention checkpoint to start from. */
  | 'missing_checkpoint';

export interface VerifyResult {
  ok: boolean;
  /** Rows checked (up to and including a broken one). */
  checked: number;
  /** Where the verified chain starts (a checkpoint, or position 0). */
  from: { seq: string; hash: string } | null;
  /** The last verified row; record its hash elsewhere to detect a rewrite of the whole chain. */
  head: { seq: string; hash: string } | null;
  firstBroken: { id: string; seq: string; reason: BrokenReason } | null;
}

/**
 * `start` is the head before the first row (EMPTY_HEAD, or the retention checkpoint for the
 * first row's predecessor); null when the first row needs a checkpoint that does not exist.
 */
export async function verifyChain(
  start: ChainHead | null,
  rows: AsyncIterable<ChainedRecord>,
): Promise<VerifyResult> {
  let expected = start;
  let checked = 0;
  let head: VerifyResult['head'] = null;
  const broken = (row: ChainedRecord, reason: BrokenReason): VerifyResult => ({
    ok: false,
    checked,
    from: start && { seq: start.seq.toString(), hash: start.hash },
    head,
    firstBroken: { id: row.id, seq: row.seq, reason },
  });
  for await (const row of rows) {
    checked++;
    if (!expected) return broken(row, 'missing_checkpoint');
    if (BigInt(row.seq) !== expected.seq + 1n) return broken(row, 'seq_gap');
    if (row.prevHash !== expected.hash) return broken(row, 'prev_hash_mismatch');
    if (hashRecord(row.prevHash, row) !== row.hash) return broken(row, 'hash_mismatch');
    expected = { seq: BigInt(row.seq), hash: row.hash };
    head = { seq: row.seq, hash: row.hash };
  }
  return {
    ok: true,
    checked,
    from: start && { seq: start.seq.toString(), hash: start.hash },
    head,
    firstBroken: null,
  };
}
