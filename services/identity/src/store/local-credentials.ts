// The break-glass account's credentials (local_credentials, mfa_secrets) and its pending TOTP
// enrolments (Redis, minutes). The rules are domain/local-login.ts.
import { sha256Hex, type Db, type RedisHandle } from '@airlock/common';

const ENROLL_KEY = (token: string) => `airlock:local-login:enroll:${sha256Hex(token)}`;
const withUser = { user: { include: { mfaSecret: true } } } as const;

export function credentialByUsername(db: Db, username: string) {
  return db.prisma.localCredential.findUnique({ where: { username }, include: withUser });
}

export function credentialByUserId(db: Db, userId: string) {
  return db.prisma.localCredential.findUnique({ where: { userId }, include: withUser });
}

/** Counts one failed attempt; returns the count so far. */
export async function countFailedAttempt(db: Db, userId: string): Promise<number> {
  const cred = await db.prisma.localCredential.update({
    where: { userId },
    data: { failedAttempts: { increment: 1 } },
  });
  return cred.failedAttempts;
}

/** Locks the account until `until` and starts the failure count again. */
export async function lockCredential(db: Db, userId: string, until: Date): Promise<void> {
  await db.prisma.localCredential.update({
    where: { userId },
    data: { lockedUntil: until, failedAttempts: 0 },
  });
}

/**
 * Claims the TOTP step and records the sign-in. The claim is one conditional UPDATE (the step
 * must be newer than the last one used), so of parallel sign-ins with one code exactly one
 * gets it; the others get false.
 */
export function claimTotpStep(db: Db, userId: string, step: number, now: Date): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    const claimed = await tx.mfaSecret.updateMany({
      where: { userId, OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: BigInt(step) } }] },
      data: { lastUsedStep: BigInt(step), confirmedAt: now },
    });
    if (claimed.count !== 1) return false;
    await tx.localCredential.update({ where: { userId }, data: { failedAttempts: 0, lockedUntil: null } });
    await tx.user.update({ where: { id: userId }, data: { lastLoginAt: now } });
    return true;
  });
}

/** A fresh, unconfirmed TOTP secret (encrypted by the caller) replacing any earlier one. */
export async function saveUnconfirmedSecret(db: Db, userId: string, secretEnc: string): Promise<void> {
  await db.prisma.mfaSecret.upsert({
    where: { userId },
    create: { userId, secretEnc },
    update: { secretEnc, confirmedAt: null, lastUsedStep: null },
  });
}

export async function saveEnrollment(redis: RedisHandle, token: string, userId: string, ttlSeconds: number) {
  await redis.client.set(ENROLL_KEY(token), userId, 'EX', ttlSeconds);
}

/** The user an enrolment token belongs to, or null when unknown or expired. */
export function enrollmentUser(redis: RedisHandle, token: string): Promise<string | null> {
  return redis.client.get(ENROLL_KEY(token));
}

/** Ends the enrolment; true only for the one caller that ended it (the others lost a race). */
export async function endEnrollment(redis: RedisHandle, token: string): Promise<boolean> {
  return (await redis.client.del(ENROLL_KEY(token))) === 1;
}
