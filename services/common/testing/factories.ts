// Test data written straight to the tables, the way identity and rbac write it (only the
// SHA-256 of each secret stored), so a suite needs no other service's API to get an org, a
// member, a session or an API token.
import { randomUUID } from 'node:crypto';
import type { Role } from '../src/generated/prisma/enums.js';
import { sessionCookieName } from '../src/auth/middleware.js';
import { generateToken, sha256Hex } from '../src/crypto/tokens.js';
import type { Db } from '../src/db/client.js';

const HOUR = 3_600_000;
const short = () => randomUUID().slice(0, 8);

export async function createOrg(
  db: Db,
  options: { slug?: string; name?: string; allowedEmailDomains?: string[] } = {},
) {
  const slug = options.slug ?? `org-${short()}`;
  return db.system.org.create({
    data: { slug, name: options.name ?? slug, allowedEmailDomains: options.allowedEmailDomains ?? [] },
  });
}

export async function createUser(
  db: Db,
  options: { email?: string; name?: string; platformAdmin?: boolean } = {},
) {
  return db.system.user.create({
    data: {
      email: options.email ?? `u-${short()}@example.com`,
      name: options.name,
      isPlatformAdmin: options.platformAdmin ?? false,
    },
  });
}

export interface TestMember {
  userId: string;
  email: string;
  orgId: string;
  role: Role;
}

/** A new user (or the given one) with `role` in the org. */
export async function addMember(
  db: Db,
  org: string | { id: string },
  role: Role,
  options: { email?: string; name?: string; platformAdmin?: boolean; userId?: string } = {},
): Promise<TestMember> {
  const orgId = typeof org === 'string' ? org : org.id;
  const user = options.userId
    ? await db.system.user.findUniqueOrThrow({ where: { id: options.userId } })
    : await createUser(db, options);
  await db.system.membership.create({ data: { orgId, userId: user.id, role } });
  return { userId: user.id, email: user.email, orgId, role };
}

export interface TestSession {
  id: string;
  /** The cookie value (only its hash is stored). */
  token: string;
  /** The Cookie header that carries it. */
  cookie: string;
}

/** A live browser session of the user in the org (orgId null: a platform admin's break-glass one). */
export async function createSession(
  db: Db,
  owner: { userId: string; orgId: string | null },
  options: { now?: Date; idleMs?: number; absoluteMs?: number; secure?: boolean } = {},
): Promise<TestSession> {
  const token = generateToken('als');
  const now = options.now ?? new Date();
  const absoluteExpiresAt = new Date(now.getTime() + (options.absoluteMs ?? 8 * HOUR));
  const idle = now.getTime() + (options.idleMs ?? HOUR);
  const row = await db.system.session.create({
    data: {
      tokenHash: sha256Hex(token),
      userId: owner.userId,
      orgId: owner.orgId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: new Date(Math.min(idle, absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
    },
  });
  return { id: row.id, token, cookie: sessionCookie(token, options.secure) };
}

/** The Cookie header for a session token (secure: the __Host- name HTTPS installs use). */
export function sessionCookie(token: string, secure = false): string {
  return `${sessionCookieName(secure)}=${token}`;
}

export interface TestApiToken {
  id: string;
  /** The secret (only its hash is stored). */
  token: string;
  /** The Authorization header that carries it. */
  bearer: string;
}

/** An API token of the member, in identity's format (`al_…`, nine characters shown). */
export async function createApiToken(
  db: Db,
  owner: { userId: string; orgId: string },
  options: { name?: string } = {},
): Promise<TestApiToken> {
  const token = generateToken('al');
  const row = await db.system.apiToken.create({
    data: {
      orgId: owner.orgId,
      userId: owner.userId,
      name: options.name ?? 'test',
      prefix: token.slice(0, 9),
      tokenHash: sha256Hex(token),
    },
  });
  return { id: row.id, token, bearer: `Bearer ${token}` };
}

/** A platform admin and their org-less break-glass session. */
export async function createPlatformAdmin(
  db: Db,
  options: { email?: string } = {},
): Promise<{ userId: string; email: string; cookie: string }> {
  const user = await createUser(db, { email: options.email, platformAdmin: true });
  const { cookie } = await createSession(db, { userId: user.id, orgId: null });
  return { userId: user.id, email: user.email, cookie };
}
