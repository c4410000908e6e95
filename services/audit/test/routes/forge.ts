// What an attacker with write access to the table would do: recompute a changed row's hash
// so the row itself looks consistent. Verification must still catch it at the next link.
import { hashRecord } from '../../src/domain/hash-chain.js';
import { recordFromRow } from '../../src/store/events.js';
import { ROW_COLUMNS } from '../../src/store/sql.js';
import type { Fixture } from '../fixture.js';

export async function computeForged(f: Fixture, id: string): Promise<void> {
  const { rows } = await f.admin.query(`SELECT ${ROW_COLUMNS} FROM audit_events e WHERE e.id = $1`, [id]);
  const record = recordFromRow(rows[0]);
  const hash = hashRecord(record.prevHash, record);
  await f.admin.query('UPDATE audit_events SET hash = $2 WHERE id = $1', [id, hash]);
}
