import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Db } from '@airlock/common';

export const PLATFORM_ADMIN_USERNAME = 'admin';
const PLATFORM_ADMIN_EMAIL = 'admin@airlock.local';

// OWASP's argon2id baseline (m=19 MiB, t=2, p=1).
const ARGON2_OPTIONS = {
  algorithm: 2 /* argon2id */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a PHC hash. With no hash (unknown username) it still spends the
 * same time on a dummy, so response time does not reveal which usernames exist.
 */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64url'));
  const target = passwordHash ?? (await dummyHash);
  const ok = await verify(target, password).catch(() => false);
  return ok && passwordHash !== null;
}

/**
 * Creates the break-glass platform admin once, with a random password. Returns the password
 * when it was created now (to be shown once), otherwise undefined. Only the hash is stored.
 */
export async function ensurePlatformAdmin(db: Db): Promise<string | undefined> {
  const existing = await db.prisma.localCredential.findUnique({
    where: { username: PLATFORM_ADMIN_USERNAME },
  });
  if (existing) return undefined;
  const password = randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  await db.prisma.user.create({
    data: {
      email: PLATFORM_ADMIN_EMAIL,
      name: 'Platform admin',
      isPlatformAdmin: true,
      localCredential: { create: { username: PLATFORM_ADMIN_USERNAME, passwordHash } },
    },
  });
  return password;
}
