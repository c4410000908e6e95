// The master key ring from AIRLOCK_ENCRYPTION_KEY. Master keys are never used directly: each
// purpose (secrets at rest, session cookies, cache keys…) gets its own key derived with HKDF,
// so one key's use can never be replayed against another.
import { hkdfSync } from 'node:crypto';

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
/** The id a bare key (no "id:" prefix) gets, so a later "2:new,1:old" keeps old values readable. */
export const DEFAULT_KEY_ID = '1';

export interface Keyring {
  /** Id of the key new values are written with. */
  readonly currentId: string;
  has(id: string): boolean;
  /** The 32-byte key for a purpose, derived from master key `id` (default: current). */
  derive(purpose: string, id?: string): Buffer;
}

/** Parses "base64" or "id:base64,id:base64" (current first). Throws a one-line Error. */
export function parseKeyring(value: string): Keyring {
  const masters = new Map<string, Buffer>();
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('no key given');
  for (const entry of entries) {
    const sep = entry.indexOf(':');
    const id = sep === -1 ? DEFAULT_KEY_ID : entry.slice(0, sep);
    const b64 = sep === -1 ? entry : entry.slice(sep + 1);
    if (!KEY_ID.test(id)) throw new Error(`key id "${id}" must match ${KEY_ID}`);
    if (masters.has(id)) throw new Error(`key id "${id}" appears twice`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, '')) {
      throw new Error(`key "${id}" must be base64 of exactly ${KEY_BYTES} bytes (openssl rand -base64 32)`);
    }
    masters.set(id, key);
  }
  const currentId = [...masters.keys()][0]!;
  const cache = new Map<string, Buffer>();
  return {
    currentId,
    has: (id) => masters.has(id),
    derive(purpose, id = currentId) {
      const master = masters.get(id);
      if (!master) throw new Error(`unknown key id "${id}"`);
      const cacheKey = `${id}\0${purpose}`;
      let key = cache.get(cacheKey);
      if (!key) {
        key = Buffer.from(hkdfSync('sha256', master, 'airlock', `airlock/${purpose}`, KEY_BYTES));
        cache.set(cacheKey, key);
      }
      return key;
    },
  };
}
