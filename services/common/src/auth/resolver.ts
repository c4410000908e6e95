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

/** A live token by its hash (or its predecessor's, until that runs out), with its user, org and membership. */
const TOKEN_SQL = `
SELECT t.id, t.org_id, t.user_id, t.created_at, t.last_used_at, t.expires_at,
       t.session_id, t.bound_role::text AS bound_role,
       s.revoked_at AS session_revoked_at, s.absolute_expires_at AS session_absolute_expires_at,
       u.email, u.status::text AS user_status, o.status::text AS org_status,
       m.role::text AS role, m.created_at AS membership_created_at
FROM api_tokens t
JOIN users u ON u.id = t.user_id
JOIN orgs o ON o.id = t.org_id
LEFT JOIN sessions s ON s.id = t.session_id
LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
WHERE t.revoked_at IS NULL
  AND (t.token_hash = $1 OR (t.previous_hash = $1 AND t.previous_valid_until > $2))
  AND (t.expires_at IS NULL OR t.expires_at > $2)
LIMIT 1`;

interface TokenRow {
  id: string;
  org_id: string;
  user_id: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  session_id: string | null;
  bound_role: NonNullable<Principal['role']> | null;
  session_revoked_at: Date | null;
  session_absolute_expires_at: Date | null;
  email: string;
  user_status: string;
  org_status: string;
  role: NonNullable<Principal['role']> | null;
  membership_created_at: Date | null;
}

/** A session by its hash, with its user, its org (if bound to one) and the membership there. */
const SESSION_SQL = `
SELECT s.id, s.user_id, s.org_id, s.created_at, s.last_seen_at, s.idle_expires_at,
       s.absolute_expires_at, s.revoked_at,
       u.email, u.status::text AS user_status, u.is_platform_admin, o.status::text AS org_status,
       m.role::text AS role, m.created_at AS membership_created_at
FROM sessions s
JOIN users u ON u.id = s.user_id
LEFT JOIN orgs o ON o.id = s.org_id
LEFT JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id
WHERE s.token_hash = $1`;

interface SessionRow {
  id: string;
  user_id: string;
  org_id: string | null;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  email: string;
  user_status: string;
  is_platform_admin: boolean;
  org_status: string | null;
  role: NonNullable<Principal['role']> | null;
  membership_created_at: Date | null;
}

export function createPrincipalResolver({
  db,
  redis,
  logger,
  clock = () => new Date(),
}: ResolverOptions): PrincipalResolver {
  const cache = new Map<string, Entry>();
  let subscriber: Redis | undefined;
  /**
   * Bumped by every invalidation. A load that was in flight when one arrived may have read
   * the credential before its revocation committed: its answer serves the requests that were
   * already waiting for it, but is not cached (it would outlive the invalidation for a whole
   * TTL) and no later request joins it.
   */
  let generation = 0;

  function drop(what: Invalidation): void {
    generation += 1;
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

  /**
   * Loads in progress, by cache key: concurrent misses for one credential (an entry expiring
   * under load) share one query. A lookup joins only a load started in the current
   * generation: one started before an invalidation may have read the credential before its
   * revocation, so a request arriving after the invalidation waits for a load of its own.
   */
  const inflight = new Map<string, { generation: number; principal: Promise<Principal | null> }>();

  function cached(key: string, load: () => Promise<Principal | null>): Promise<Principal | null> {
    const now = clock().getTime();
    const hit = cache.get(key);
    // A cached principal past its expiry is reloaded, not trusted: the idle expiry may have
    // slid forward on another replica, or the credential may really be over.
    if (hit && hit.expires > now && !(hit.principal?.expiresAt && hit.principal.expiresAt.getTime() <= now)) {
      return Promise.resolve(hit.principal);
    }
    const joined = inflight.get(key);
    if (joined && joined.generation === generation) return joined.principal;
    const started = generation;
    const loaded: Promise<Principal | null> = load()
      .then((principal) => {
        if (generation !== started) return principal;
        if (cache.size >= CACHE_MAX) cache.clear(); // crude bound; a full cache is rebuilt from the DB
        cache.set(key, { principal, expires: now + CACHE_TTL_MS });
        return principal;
      })
      .finally(() => {
        if (inflight.get(key)?.principal === loaded) inflight.delete(key);
      });
    inflight.set(key, { generation: started, principal: loaded });
    return loaded;
  }

  // Plain SQL, not Prisma (db/sql.ts): the gateway resolves credentials on its hot path and
  // need not load Prisma's query compiler for it. System scope: the hash is not org-bound.
  async function loadToken(hash: string): Promise<Principal | null> {
    const now = clock();
    const [token] = await db.sql.inScope({ system: true }, (q) => q<TokenRow>(TOKEN_SQL, [hash, now]));
    if (!token || token.user_status !== 'active' || token.org_status !== 'active') return null;
    // A CLI sign-in token lives only as long as the browser session that approved it.
    if (
      token.session_id &&
      !sessionLive(
        token.session_absolute_expires_at === null
          ? null
          : { revokedAt: token.session_revoked_at, absoluteExpiresAt: token.session_absolute_expires_at },
        now,
      )
    )
      return null;
    const membership =
      token.role === null ? null : { role: token.role, createdAt: token.membership_created_at! };
    if (!membership || predatesMembership(token.created_at, membership.createdAt)) return null;
    // ...and only with the role it was approved with: a role change means signing in again.
    if (token.bound_role && token.bound_role !== membership.role) return null;
    if (!token.last_used_at || now.getTime() - token.last_used_at.getTime() >= TOUCH_INTERVAL_MS) {
      await db.sql
        .inScope({ system: true }, (q) =>
          q('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [token.id, now]),
        )
        .catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'token last-used update failed'));
    }
    return {
      kind: 'api_token',
      userId: token.user_id,
      email: token.email,
      orgId: token.org_id,
      role: membership.role,
      isPlatformAdmin: false, // a token never carries platform rights
      tokenId: token.id,
      expiresAt: token.expires_at,
    };
  }

  async function loadSession(hash: string): Promise<Principal | null> {
    const now = clock();
    const [session] = await db.sql.inScope({ system: true }, (q) => q<SessionRow>(SESSION_SQL, [hash]));
    if (!session || session.revoked_at || session.user_status !== 'active') return null;
    if (session.idle_expires_at <= now || session.absolute_expires_at <= now) return null;
    if (session.org_id && session.org_status !== 'active') return null;
    let role: Principal['role'] = null;
    if (session.org_id) {
      const membership =
        session.role === null ? null : { role: session.role, createdAt: session.membership_created_at! };
      if (!membership && !session.is_platform_admin) return null;
      if (membership && predatesMembership(session.created_at, membership.createdAt)) return null;
      role = membership?.role ?? null;
    }
    let idleExpiresAt = session.idle_expires_at;
    if (now.getTime() - session.last_seen_at.getTime() >= TOUCH_INTERVAL_MS) {
      // Slide the idle expiry by the window the session was created with, never past the
      // absolute expiry. The window is not configuration here: identity chose it at sign-in.
      const window = session.idle_expires_at.getTime() - session.last_seen_at.getTime();
      idleExpiresAt = new Date(Math.min(now.getTime() + window, session.absolute_expires_at.getTime()));
      await db.sql
        .inScope({ system: true }, (q) =>
          q(
            'UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id = $1 AND revoked_at IS NULL',
            [session.id, now, idleExpiresAt],
          ),
        )
        .catch((e: unknown) => {
          idleExpiresAt = session.idle_expires_at;
          logger.warn({ err: (e as Error).message }, 'session last-seen update failed');
        });
    }
    const expiresAt =
      idleExpiresAt < session.absolute_expires_at ? idleExpiresAt : session.absolute_expires_at;
    return {
      kind: 'session',
      userId: session.user_id,
      email: session.email,
      orgId: session.org_id,
      role,
      isPlatformAdmin: session.is_platform_admin,
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
      // A reconnect may have missed messages: start clean (loads in flight are not cached).
      subscriber.on('ready', () => drop({ type: 'all' }));
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
