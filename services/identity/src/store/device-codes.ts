// Pending CLI sign-ins (OAuth device grant, RFC 8628) in Redis, shared by every replica.
// Redis rather than Postgres: every piece expires on its own (TTL), polls are frequent and
// need no durability, and a lost Redis only means "run `airlock login` again".
// Only SHA-256 hashes of the device code and of the user code are used as keys; neither code
// is stored. The request record outlives its expiry by GRACE_SECONDS so that a late poll gets
// `expired_token` rather than `invalid_grant`. Each step is one atomic Redis command:
//   decision: SET NX (the first of approve/deny wins), pickup: SET NX (single use),
//   polling pace: one Lua script (read the last poll, maybe raise the interval, write).
import { randomInt } from 'node:crypto';
import { generateToken, sha256Hex, type RedisHandle, type Role } from '@airlock/common';

/** Consonants and no vowels (RFC 8628 §6.1): no look-alikes (0/O, 1/I) and no words. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
const GRACE_SECONDS = 600;
/** RFC 8628 §3.5: a slow_down raises the interval by 5 seconds for this and all later polls. */
export const SLOW_DOWN_STEP_SECONDS = 5;

const key = {
  request: (hash: string) => `airlock:device:request:${hash}`,
  userCode: (hash: string) => `airlock:device:user:${hash}`,
  decision: (hash: string) => `airlock:device:decision:${hash}`,
  poll: (hash: string) => `airlock:device:poll:${hash}`,
  used: (hash: string) => `airlock:device:used:${hash}`,
};

export interface DeviceRequest {
  /** A random id for audit events, so one flow's events can be followed without either code. */
  id: string;
  clientId: string;
  /** The org the CLI asked for (`--org`), or null: the approving member's org. */
  orgId: string | null;
  orgSlug: string | null;
  createdAt: number;
  expiresAt: number;
  interval: number;
  /** Where the CLI asked from, shown on the approval page so a member can spot a phish. */
  clientIp: string | null;
}

export type DeviceDecision =
  | { status: 'denied'; userId: string }
  | {
      status: 'approved';
      userId: string;
      email: string | null;
      orgId: string;
      sessionId: string;
      role: Role;
    };

/** "bcdf-ghjk", "BCDF GHJK", "bcdfghjk" → "BCDFGHJK"; null when it cannot be a user code. */
export function normalizeUserCode(input: string): string | null {
  if (input.length > 32) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}

/** "BCDFGHJK" → "BCDF-GHJK", the form people read and type. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

export const deviceCodeHash = (deviceCode: string) => sha256Hex(deviceCode);

/** Stores a new request; returns the two codes (the only time they exist outside the CLI). */
export async function saveDeviceRequest(
  redis: RedisHandle,
  request: DeviceRequest,
): Promise<{ deviceCode: string; userCode: string }> {
  const deviceCode = generateToken('ald');
  const hash = deviceCodeHash(deviceCode);
  const ttl = Math.ceil((request.expiresAt - request.createdAt) / 1000) + GRACE_SECONDS;
  // 20^8 codes: a collision with a live one is rare; NX makes it harmless (draw again).
  for (let attempt = 0; attempt < 5; attempt++) {
    const userCode = newUserCode();
    const claimed = await redis.client.set(key.userCode(sha256Hex(userCode)), hash, 'EX', ttl, 'NX');
    if (claimed !== 'OK') continue;
    await redis.client.set(key.request(hash), JSON.stringify(request), 'EX', ttl);
    return { deviceCode, userCode };
  }
  throw new Error('no free user code after 5 draws');
}

export async function requestByHash(redis: RedisHandle, hash: string): Promise<DeviceRequest | null> {
  const raw = await redis.client.get(key.request(hash));
  return raw ? (JSON.parse(raw) as DeviceRequest) : null;
}

/** The request a (normalised) user code names, with its device-code hash. */
export async function requestByUserCode(
  redis: RedisHandle,
  userCode: string,
): Promise<{ hash: string; request: DeviceRequest } | null> {
  const hash = await redis.client.get(key.userCode(sha256Hex(userCode)));
  if (!hash) return null;
  const request = await requestByHash(redis, hash);
  return request ? { hash, request } : null;
}

export async function decisionOf(redis: RedisHandle, hash: string): Promise<DeviceDecision | null> {
  const raw = await redis.client.get(key.decision(hash));
  return raw ? (JSON.parse(raw) as DeviceDecision) : null;
}

/** Records approve/deny; false when the request was already decided (the first decision stands). */
export async function saveDecision(
  redis: RedisHandle,
  hash: string,
  request: DeviceRequest,
  decision: DeviceDecision,
  now: number,
): Promise<boolean> {
  const ttl = Math.max(1, Math.ceil((request.expiresAt - now) / 1000) + GRACE_SECONDS);
  return (await redis.client.set(key.decision(hash), JSON.stringify(decision), 'EX', ttl, 'NX')) === 'OK';
}

/** Marks the device code used; false when it already was (a second pickup). */
export async function markUsed(redis: RedisHandle, hash: string): Promise<boolean> {
  return (await redis.client.set(key.used(hash), '1', 'EX', GRACE_SECONDS * 2, 'NX')) === 'OK';
}

export async function isUsed(redis: RedisHandle, hash: string): Promise<boolean> {
  return (await redis.client.exists(key.used(hash))) === 1;
}

// KEYS[1] poll key; ARGV: now (ms), starting interval (ms), step (ms), key TTL (s).
// Stored value "<last poll ms>:<interval ms>". Returns {1, interval} for a poll at the
// agreed pace, {0, raised interval} for one that came too soon.
const PACE = `
local v = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local ok = 1
if v then
  local sep = string.find(v, ':', 1, true)
  local last = tonumber(string.sub(v, 1, sep - 1))
  interval = tonumber(string.sub(v, sep + 1))
  if now - last < interval then
    interval = interval + tonumber(ARGV[3])
    ok = 0
  end
end
redis.call('SET', KEYS[1], tostring(now) .. ':' .. tostring(interval), 'EX', tonumber(ARGV[4]))
return {ok, interval}
`;

/** Records a poll; says whether it kept the pace and the interval (seconds) from now on. */
export async function recordPoll(
  redis: RedisHandle,
  hash: string,
  request: DeviceRequest,
  now: number,
): Promise<{ onPace: boolean; interval: number }> {
  const ttl = Math.ceil((request.expiresAt - request.createdAt) / 1000) + GRACE_SECONDS;
  const [ok, interval] = (await redis.client.eval(
    PACE,
    1,
    key.poll(hash),
    String(now),
    String(request.interval * 1000),
    String(SLOW_DOWN_STEP_SECONDS * 1000),
    String(ttl),
  )) as [number, number];
  return { onPace: ok === 1, interval: Math.round(Number(interval) / 1000) };
}
