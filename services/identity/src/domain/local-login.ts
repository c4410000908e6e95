// The break-glass platform admin's local sign-in: username + password (argon2id) + TOTP.
// Used for bootstrap and when the IdP is down, so it is the most attacked door: per-IP
// throttling in Redis (fail closed), per-account lockout in the database, TOTP mandatory
// (enrolled at the first sign-in), and the password never stored, logged or audited.
import {
  AirlockError,
  createSecretBox,
  generateToken,
  sha256Hex,
  type LoginFailureReason,
} from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { verifyPassword } from '../store/platform-admin.js';
import { hit } from '../store/throttle.js';
import { newTotpSecret, otpauthUrl, verifyTotp } from './totp.js';

const IP_WINDOW_SECONDS = 15 * 60;
const ENROLL_TTL_SECONDS = 10 * 60;
const ENROLL_KEY = (token: string) => `airlock:local-login:enroll:${sha256Hex(token)}`;
const mfaAad = (userId: string) => `mfa_secrets.secret_enc:${userId}`;

export type LocalLoginResult =
  | { kind: 'signed_in'; userId: string }
  | { kind: 'enroll'; userId: string; enrollmentToken: string; secret: string; otpauthUrl: string };

/** Why a local sign-in failed: the audit reason, and the error the client gets. */
export class LocalLoginError extends Error {
  constructor(
    readonly reason: LoginFailureReason,
    readonly error: AirlockError,
    /** Set only when the username names a real account (never echo arbitrary input). */
    readonly username?: string,
  ) {
    super(error.message);
    this.name = 'LocalLoginError';
  }
}

const wrongCredentials = () => new AirlockError('unauthenticated', 'wrong username, password or TOTP code');

async function throttleIp(ctx: IdentityContext, ip: string): Promise<void> {
  const result = await hit(
    ctx.redis,
    'local-login-ip',
    ip,
    ctx.settings.AIRLOCK_LOCAL_LOGIN_IP_LIMIT,
    IP_WINDOW_SECONDS,
  );
  if (result.ok === 'unavailable') {
    // Without the counter there is no throttle: refuse rather than allow unlimited guessing.
    throw new LocalLoginError(
      'throttle_unavailable',
      new AirlockError('service_unavailable', 'sign-in is unavailable right now', { cause: result.cause }),
    );
  }
  if (result.ok === false) {
    const retry = result.retryAfterSeconds;
    throw new LocalLoginError(
      'ip_throttled',
      new AirlockError(
        'rate_limited',
        `too many sign-in attempts from this address; try again in ${Math.ceil(retry / 60)} minute(s)`,
        {
          headers: { 'Retry-After': String(retry) },
        },
      ),
    );
  }
}

function lockedError(until: Date, now: Date): AirlockError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AirlockError(
    'rate_limited',
    `this account is locked after too many failed attempts; try again in ${Math.ceil(seconds / 60)} minute(s)`,
    { headers: { 'Retry-After': String(seconds) } },
  );
}

/** Counts a failure and locks the account when it reaches the limit. */
async function recordFailure(
  ctx: IdentityContext,
  userId: string,
  username: string,
  reason: LoginFailureReason,
): Promise<never> {
  const now = ctx.clock();
  const cred = await ctx.db.prisma.localCredential.update({
    where: { userId },
    data: { failedAttempts: { increment: 1 } },
  });
  if (cred.failedAttempts >= ctx.settings.AIRLOCK_LOCAL_LOGIN_MAX_FAILURES) {
    const until = new Date(now.getTime() + ctx.settings.AIRLOCK_LOCAL_LOGIN_LOCK_MINUTES * 60_000);
    await ctx.db.prisma.localCredential.update({
      where: { userId },
      data: { lockedUntil: until, failedAttempts: 0 },
    });
    throw new LocalLoginError('account_locked', lockedError(until, now), username);
  }
  throw new LocalLoginError(reason, wrongCredentials(), username);
}

/**
 * Claims the TOTP step and records the sign-in. The claim is one conditional UPDATE (the step
 * must be newer than the last one used), so of parallel sign-ins with one code exactly one
 * gets it; the others get false and fail like a reused code.
 */
async function succeed(ctx: IdentityContext, userId: string, step: number): Promise<boolean> {
  const now = ctx.clock();
  return ctx.db.prisma.$transaction(async (tx) => {
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

export async function localLogin(
  ctx: IdentityContext,
  input: { username: string; password: string; totp?: string },
  ip: string,
): Promise<LocalLoginResult> {
  await throttleIp(ctx, ip);
  const now = ctx.clock();
  const cred = await ctx.db.prisma.localCredential.findUnique({
    where: { username: input.username },
    include: { user: { include: { mfaSecret: true } } },
  });
  if (cred?.lockedUntil && cred.lockedUntil > now) {
    throw new LocalLoginError('account_locked', lockedError(cred.lockedUntil, now), cred.username);
  }
  const passwordOk = await verifyPassword(cred?.passwordHash ?? null, input.password);
  if (!cred) throw new LocalLoginError('invalid_credentials', wrongCredentials());
  if (!passwordOk) return recordFailure(ctx, cred.userId, cred.username, 'invalid_credentials');
  const user = cred.user;
  if (user.status !== 'active' || !user.isPlatformAdmin) {
    throw new LocalLoginError(
      'account_disabled',
      new AirlockError('account_disabled', 'this account is deactivated'),
      cred.username,
    );
  }
  const box = createSecretBox(ctx.keyring);
  const mfa = user.mfaSecret;
  if (mfa?.confirmedAt) {
    // The right password without a code answers (and counts) exactly like a wrong password:
    // a distinct answer would tell a guesser the password is right.
    if (!input.totp) return recordFailure(ctx, user.id, cred.username, 'mfa_required');
    const secret = box.decrypt(mfa.secretEnc, mfaAad(user.id));
    const step = verifyTotp(
      secret,
      input.totp,
      now,
      mfa.lastUsedStep === null ? null : Number(mfa.lastUsedStep),
    );
    if (step === null) return recordFailure(ctx, user.id, cred.username, 'invalid_totp');
    if (!(await succeed(ctx, user.id, step)))
      return recordFailure(ctx, user.id, cred.username, 'totp_reused');
    return { kind: 'signed_in', userId: user.id };
  }
  // First sign-in (or enrolment never finished): a fresh secret, confirmed by a first code.
  const secret = newTotpSecret();
  const secretEnc = box.encrypt(secret, mfaAad(user.id));
  await ctx.db.prisma.mfaSecret.upsert({
    where: { userId: user.id },
    create: { userId: user.id, secretEnc },
    update: { secretEnc, confirmedAt: null, lastUsedStep: null },
  });
  const enrollmentToken = generateToken('alenroll');
  await ctx.redis.client.set(ENROLL_KEY(enrollmentToken), user.id, 'EX', ENROLL_TTL_SECONDS);
  return {
    kind: 'enroll',
    userId: user.id,
    enrollmentToken,
    secret,
    otpauthUrl: otpauthUrl(secret, cred.username),
  };
}

/** Completes TOTP enrolment with the first code; returns the user to sign in. */
export async function confirmEnrollment(
  ctx: IdentityContext,
  input: { enrollmentToken: string; totp: string },
  ip: string,
): Promise<{ userId: string }> {
  await throttleIp(ctx, ip);
  const userId = await ctx.redis.client.get(ENROLL_KEY(input.enrollmentToken));
  if (!userId) {
    throw new LocalLoginError(
      'enrollment_expired',
      new AirlockError('unauthenticated', 'this enrolment has expired; sign in with your password again'),
    );
  }
  const cred = await ctx.db.prisma.localCredential.findUnique({
    where: { userId },
    include: { user: { include: { mfaSecret: true } } },
  });
  const now = ctx.clock();
  const mfa = cred?.user.mfaSecret;
  if (!cred || !mfa || mfa.confirmedAt) {
    throw new LocalLoginError(
      'enrollment_expired',
      new AirlockError('unauthenticated', 'this enrolment is no longer valid'),
    );
  }
  if (cred.lockedUntil && cred.lockedUntil > now) {
    throw new LocalLoginError('account_locked', lockedError(cred.lockedUntil, now), cred.username);
  }
  const secret = createSecretBox(ctx.keyring).decrypt(mfa.secretEnc, mfaAad(userId));
  const step = verifyTotp(secret, input.totp, now, null);
  if (step === null) return recordFailure(ctx, userId, cred.username, 'invalid_totp');
  // GETDEL-like: only the request that deletes the enrolment key goes on.
  if ((await ctx.redis.client.del(ENROLL_KEY(input.enrollmentToken))) !== 1) {
    throw new LocalLoginError(
      'enrollment_expired',
      new AirlockError('unauthenticated', 'this enrolment is no longer valid'),
    );
  }
  if (!(await succeed(ctx, userId, step))) return recordFailure(ctx, userId, cred.username, 'totp_reused');
  return { userId };
}
