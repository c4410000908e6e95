// The break-glass platform admin's local sign-in: username + password (argon2id) + TOTP.
// Used for bootstrap and when the IdP is down, so it is the most attacked door: per-IP
// throttling in Redis (fail closed), per-account lockout in the database, TOTP mandatory
// (enrolled at the first sign-in), and the password never stored, logged or audited.
import { AirlockError, createSecretBox, generateToken, type LoginFailureReason } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import {
  claimTotpStep,
  countFailedAttempt,
  credentialByUserId,
  credentialByUsername,
  endEnrollment,
  enrollmentUser,
  lockCredential,
  saveEnrollment,
  saveUnconfirmedSecret,
} from '../store/local-credentials.js';
import { verifyPassword } from '../store/platform-admin.js';
import { hit } from '../store/throttle.js';
import { newTotpSecret, otpauthUrl, verifyTotp } from './totp.js';

const IP_WINDOW_SECONDS = 15 * 60;
const ENROLL_TTL_SECONDS = 10 * 60;
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
  const failures = await countFailedAttempt(ctx.db, userId);
  if (failures >= ctx.settings.AIRLOCK_LOCAL_LOGIN_MAX_FAILURES) {
    const until = new Date(now.getTime() + ctx.settings.AIRLOCK_LOCAL_LOGIN_LOCK_MINUTES * 60_000);
    await lockCredential(ctx.db, userId, until);
    throw new LocalLoginError('account_locked', lockedError(until, now), username);
  }
  throw new LocalLoginError(reason, wrongCredentials(), username);
}

/**
 * Claims the TOTP step and records the sign-in (store/local-credentials.ts: one conditional
 * UPDATE, so of parallel sign-ins with one code exactly one gets it; the others get false and
 * fail like a reused code).
 */
function succeed(ctx: IdentityContext, userId: string, step: number): Promise<boolean> {
  return claimTotpStep(ctx.db, userId, step, ctx.clock());
}

export async function localLogin(
  ctx: IdentityContext,
  input: { username: string; password: string; totp?: string },
  ip: string,
): Promise<LocalLoginResult> {
  await throttleIp(ctx, ip);
  const now = ctx.clock();
  const cred = await credentialByUsername(ctx.db, input.username);
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
  await saveUnconfirmedSecret(ctx.db, user.id, secretEnc);
  const enrollmentToken = generateToken('alenroll');
  await saveEnrollment(ctx.redis, enrollmentToken, user.id, ENROLL_TTL_SECONDS);
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
  const userId = await enrollmentUser(ctx.redis, input.enrollmentToken);
  if (!userId) {
    throw new LocalLoginError(
      'enrollment_expired',
      new AirlockError('unauthenticated', 'this enrolment has expired; sign in with your password again'),
    );
  }
  const cred = await credentialByUserId(ctx.db, userId);
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
  if (!(await endEnrollment(ctx.redis, input.enrollmentToken))) {
    throw new LocalLoginError(
      'enrollment_expired',
      new AirlockError('unauthenticated', 'this enrolment is no longer valid'),
    );
  }
  if (!(await succeed(ctx, userId, step))) return recordFailure(ctx, userId, cred.username, 'totp_reused');
  return { userId };
}
