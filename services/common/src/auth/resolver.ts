// Turns a bearer token or a session cookie into a Principal. Lookups are keyed on the SHA-256
// of the full secret (never a prefix). Results are cached in process for at most
// CACHE_TTL_MS, and every replica drops entries at once when identity or rbac publishes an
// invalidation (revocation, role change, suspension). If that message is lost (Redis down),
// the TTL still bounds how long a revoked credential can work: under 5 s.
import type { Logger } from '../logger.js';
import type { Db } from '../db/client.js';
import type { Redis, RedisHandle } from '../redis/client.js';
import { sha256Hex } from '../crypto/tokens.js';
import { UUID_PATTERN } from '../db/uuid.js';
import type { Principal } from './principal.js';

export const AUTH_INVALIDATION_CHANNEL = 'airlock:auth:invalidate';
export const CACHE_TTL_MS = 4_000;
const CACHE_MAX = 50_000;
/** Writes of last-seen / last-used times are batched to at most one per credential per minute. */
export const TOUCH_INTERVAL_MS = 60_000;

export type Invalidation =
  | { type: 'credential'; hash: string }
  | { type: 'user'; id: string }
  | { type: 'org'; id: string }
  | { type: 'all' };

// Membership rows get their time from the database, credentials from the app's clock: allow
// this much disagreement between the two.
const CLOCK_SKEW_MS = 120_000;

/**
 * A credential issued before the current membership began belongs to an earlier membership:
 * removing a member and adding them back must not revive their old tokens and sessions.
 */
function predatesMembership(issuedAt: Date, membershipCreatedAt: Date): boolean {
  return issuedAt.getTime() + CLOCK_SKEW_MS < membershipCreatedAt.getTime();
}

/**
 * Revoked and absolute expiry end a session for the tokens bound to it. Its idle expiry does
 * not: the token is the activity then, and it has its own short lifetime.
 */
function sessionLive(
  session: { revokedAt: Date | null; absoluteExpiresAt: Date } | null,
  now: Date,
): boolean {
  return !!session && !session.revokedAt && session.absoluteExpiresAt > now;
}

export interface PrincipalResolver {
  /** The principal for an API token, or null when unknown, revoked, expired or suspended. */
  fromBearer(token: string): Promise<Principal | null>;
  /** The principal for a session cookie value, or null. */
  fromSession(cookieValue: string): Promise<Principal | null>;
  /** Drops cached principals here and, through Redis, on every replica. */
  invalidate(what: Invalidation): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Entry {
  principal: Principal | null;
  expires: number;
}

export interface ResolverOptions {
  db: Db;
  redis: RedisHandle;
  logger: Logger;
  clock?: () => Date;
}

const UUID = UUID_PATTERN;

/** A message from the channel is only trusted in one of the known shapes. */
function isInvalidation(value: unknown): value is Invalidation {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'all':
      return true;
    case 'credential':
      return typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash);
    case 'user':
    case 'org':
      return typeof v.id === 'string' && UUID.test(v.id);
    default:
      return false;
  }
}

export function createPrincipalResolver({
  db,
  redis,
  logger,
  clock = () => new Date(),
}: ResolverOptions): PrincipalResolver {
  const cache = new Map<string, Entry>();
  let subscriber: Redis | undefined;

  function drop(what: Invalidation): void {
    if (!isInvalidation(what) || what.type === 'all') return cache.clear();
    if (what.type === 'credential') {
      cache.delete(`t:${what.hash}`);
      cache.delete(`s:${what.hash}`);
      return;
    }
    for (const [key, entry] of cache) {
      const p = entry.principal;
      if (!p || (what.type === 'user' ? p.userId === what.id : p.orgId === what.id)) cache.delete(key);
    }
  }

  async function cached(key: string, load: () => Promise<Principal | null>): Promise<Principal | null> {
    const now = clock().getTime();
    const hit = cache.get(key);
    // A cached principal past its expiry is reloaded, not trusted: the idle expiry may have
    // slid forward on another replica, or the credential may really be over.
    if (hit && hit.expires > now && !(hit.principal?.expiresAt && hit.principal.expiresAt.getTime() <= now)) {
      return hit.principal;
    }
    const principal = await load();
    if (cache.size >= CACHE_MAX) cache.clear(); // crude bound; a full cache is rebuilt from the DB
    cache.set(key, { principal, expires: now + CACHE_TTL_MS });
    return principal;
  }

  async function loadToken(hash: string): Promise<Principal | null> {
    const now = clock();
    const token = await db.system.apiToken.findFirst({
      where: {
        revokedAt: null,
        OR: [{ tokenHash: hash }, { previousHash: hash, previousValidUntil: { gt: now } }],
        AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }],
      },
      include: { user: true, org: true, session: true },
    });
    if (!token || token.user.status !== 'active' || token.org.status !== 'active') return null;
    // A CLI sign-in token lives only as long as the browser session that approved it.
    if (token.sessionId && !sessionLive(token.session, now)) return null;
    const membership = await db.system.membership.findUnique({
      where: { orgId_userId: { orgId: token.orgId, userId: token.userId } },
    });
    if (!membership || predatesMembership(token.createdAt, membership.createdAt)) return null;
    // ...and only with the role it was approved with: a role change means signing in again.
    if (token.boundRole && token.boundRole !== membership.role) return null;
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
      await db.system.apiToken
        .update({ where: { id: token.id }, data: { lastUsedAt: now } })
        .catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'token last-used update failed'));
    }
    return {
      kind: 'api_token',
      userId: token.userId,
      email: token.user.email,
      orgId: token.orgId,
      role: membership.role,
      isPlatformAdmin: false, // a token never carries platform rights
      tokenId: token.id,
      expiresAt: token.expiresAt,
    };
  }

  async function loadSession(hash: string): Promise<Principal | null> {
    const now = clock();
    const session = await db.system.session.findUnique({
      where: { tokenHash: hash },
      include: { user: true, org: true },
    });
    if (!session || session.revokedAt || session.user.status !== 'active') return null;
    if (session.idleExpiresAt <= now || session.absoluteExpiresAt <= now) return null;
    if (session.org && session.org.status !== 'active') return null;
    let role: Principal['role'] = null;
    if (session.orgId) {
      const membership = await db.system.membership.findUnique({
        where: { orgId_userId: { orgId: session.orgId, userId: session.userId } },
      });
      if (!membership && !session.user.isPlatformAdmin) return null;
      if (membership && predatesMembership(session.createdAt, membership.createdAt)) return null;
      role = membership?.role ?? null;
    }
    let idleExpiresAt = session.idleExpiresAt;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      // Slide the idle expiry by the window the session was created with, never past the
      // absolute expiry. The window is not configuration here: identity chose it at sign-in.
      const window = session.idleExpiresAt.getTime() - session.lastSeenAt.getTime();
      idleExpiresAt = new Date(Math.min(now.getTime() + window, session.absoluteExpiresAt.getTime()));
      await db.system.session
        .updateMany({ where: { id: session.id, revokedAt: null }, data: { lastSeenAt: now, idleExpiresAt } })
        .catch((e: unknown) => {
          idleExpiresAt = session.idleExpiresAt;
          logger.warn({ err: (e as Error).message }, 'session last-seen update failed');
        });
    }
    const expiresAt = idleExpiresAt < session.absoluteExpiresAt ? idleExpiresAt : session.absoluteExpiresAt;
    return {
      kind: 'session',
      userId: session.userId,
      email: session.user.email,
      orgId: session.orgId,
      role,
      isPlatformAdmin: session.user.isPlatformAdmin,
      sessionId: session.id,
      expiresAt,
    };
  }

  return {
    fromBearer: (token) => {
      const hash = sha256Hex(token);
      return cached(`t:${hash}`, () => loadToken(hash));
    },
    fromSession: (value) => {
      const hash = sha256Hex(value);
      return cached(`s:${hash}`, () => loadSession(hash));
    },
    async invalidate(what) {
      drop(what);
      try {
        await redis.client.publish(AUTH_INVALIDATION_CHANNEL, JSON.stringify(what));
      } catch (e) {
        // Other replicas still drop it within CACHE_TTL_MS.
        logger.warn({ err: (e as Error).message, type: what.type }, 'auth invalidation not broadcast');
      }
    },
    async start() {
      subscriber = redis.duplicate();
      subscriber.on('message', (_channel: string, message: string) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(message);
        } catch {
          parsed = undefined;
        }
        drop(parsed as Invalidation); // anything unrecognised clears the whole cache
      });
      // A reconnect may have missed messages: start clean.
      subscriber.on('ready', () => cache.clear());
      await subscriber.subscribe(AUTH_INVALIDATION_CHANNEL).catch((e: unknown) => {
        logger.warn({ err: (e as Error).message }, 'auth invalidation subscription failed; relying on TTL');
      });
    },
    async stop() {
      subscriber?.disconnect();
      subscriber = undefined;
    },
  };
}
