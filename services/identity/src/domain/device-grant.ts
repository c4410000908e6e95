// The CLI sign-in: OAuth 2.0 Device Authorization Grant (RFC 8628). The CLI asks for a code
// pair, the member approves the user code in a browser that is signed in through SSO, and
// the CLI's poll then gets a short-lived API token bound to that member, that session and
// that role. No req/res here: routes/device.ts maps HTTP onto these functions.
import { randomUUID } from 'node:crypto';
import type { Principal, Role } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { approvalStanding, insertDeviceToken } from '../store/device-tokens.js';
import { findOrg } from '../store/orgs.js';
import {
  decisionOf,
  deviceCodeHash,
  formatUserCode,
  isUsed,
  markUsed,
  recordPoll,
  requestByHash,
  requestByUserCode,
  saveDecision,
  saveDeviceRequest,
  type DeviceRequest,
} from '../store/device-codes.js';

/** The only client: the `airlock` CLI (services/cli). It is public: no secret to present. */
export const DEVICE_CLIENT_ID = 'airlock-cli';
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 6749 §5.2 and RFC 8628 §3.5 error codes, as the token endpoint sends them. */
export type OAuthErrorCode =
  | 'access_denied'
  | 'authorization_pending'
  | 'expired_token'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_request'
  | 'slow_down'
  | 'temporarily_unavailable'
  | 'unsupported_grant_type';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** invalid_client is 401 (RFC 6749 §5.2); everything else 400 unless said otherwise. */
    readonly status = error === 'invalid_client' ? 401 : 400,
    /** The interval the client must keep from now on (slow_down). */
    readonly interval?: number,
  ) {
    super(description);
  }
}

export interface DeviceCodeResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** POST /oauth/device/code: a new code pair for the CLI. */
export async function requestDeviceCode(
  ctx: IdentityContext,
  input: { clientId: unknown; org: unknown; clientIp: string | null },
): Promise<{ response: DeviceCodeResponse; request: DeviceRequest }> {
  if (input.clientId !== DEVICE_CLIENT_ID) throw new OAuthError('invalid_client', 'unknown client_id');
  let org: { id: string; slug: string } | null = null;
  if (input.org !== undefined && input.org !== '') {
    if (typeof input.org !== 'string' || !SLUG.test(input.org)) {
      throw new OAuthError('invalid_request', 'org must be an organisation slug');
    }
    const row = await findOrg(ctx.db, { slug: input.org });
    if (!row || row.status !== 'active') {
      throw new OAuthError('invalid_request', 'no such organisation, or it is suspended');
    }
    org = { id: row.id, slug: row.slug };
  }
  const now = ctx.clock().getTime();
  const expiresIn = ctx.settings.AIRLOCK_DEVICE_CODE_TTL_SECONDS;
  const request: DeviceRequest = {
    id: randomUUID(),
    clientId: DEVICE_CLIENT_ID,
    orgId: org?.id ?? null,
    orgSlug: org?.slug ?? null,
    createdAt: now,
    expiresAt: now + expiresIn * 1000,
    interval: ctx.settings.AIRLOCK_DEVICE_POLL_INTERVAL_SECONDS,
    clientIp: input.clientIp?.slice(0, 64) ?? null,
  };
  const { deviceCode, userCode } = await saveDeviceRequest(ctx.redis, request);
  const verificationUri = new URL('/device', ctx.config.AIRLOCK_PUBLIC_URL).toString();
  const complete = new URL(verificationUri);
  complete.searchParams.set('user_code', formatUserCode(userCode));
  if (org) complete.searchParams.set('org', org.slug);
  return {
    request,
    response: {
      device_code: deviceCode,
      user_code: formatUserCode(userCode),
      verification_uri: verificationUri,
      verification_uri_complete: complete.toString(),
      expires_in: expiresIn,
      interval: request.interval,
    },
  };
}

/** Why a user code shown in the browser cannot be approved (the device.code_rejected reason). */
export type CodeRejection = 'unknown_code' | 'expired_code' | 'already_decided' | 'wrong_org';

export type PendingLookup =
  | { ok: true; hash: string; request: DeviceRequest }
  | { ok: false; reason: Exclude<CodeRejection, 'wrong_org'> };

/** The pending request a normalised user code names, if it can still be decided. */
export async function pendingRequest(ctx: IdentityContext, userCode: string): Promise<PendingLookup> {
  const found = await requestByUserCode(ctx.redis, userCode);
  if (!found) return { ok: false, reason: 'unknown_code' };
  if (found.request.expiresAt <= ctx.clock().getTime()) return { ok: false, reason: 'expired_code' };
  if ((await decisionOf(ctx.redis, found.hash)) || (await isUsed(ctx.redis, found.hash))) {
    return { ok: false, reason: 'already_decided' };
  }
  return { ok: true, ...found };
}

/** Records the member's answer; false when someone answered first (the first answer stands). */
export async function decide(
  ctx: IdentityContext,
  p: Principal,
  pending: { hash: string; request: DeviceRequest },
  approve: boolean,
): Promise<boolean> {
  const decision = approve
    ? {
        status: 'approved' as const,
        userId: p.userId!,
        email: p.email,
        orgId: p.orgId!,
        sessionId: p.sessionId!,
        role: p.role as Role,
      }
    : { status: 'denied' as const, userId: p.userId! };
  return saveDecision(ctx.redis, pending.hash, pending.request, decision, ctx.clock().getTime());
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Not part of RFC 6749's response: the id, so `airlock logout` can revoke this token. */
  token_id: string;
  flowId: string;
  orgId: string;
  userId: string;
  email: string | null;
  expiresAt: Date;
}

/** What a refusal of the poll is audited as; the waiting answers (pending, slow_down) are not. */
export type PollRefusal = 'access_denied' | 'expired_token' | 'invalid_grant' | 'session_ended';

export class PollError extends OAuthError {
  constructor(
    error: OAuthErrorCode,
    description: string,
    readonly audit: {
      reason: PollRefusal;
      orgId: string | null;
      userId: string | null;
      /** DeviceRequest.id */
      flowId: string;
    } | null,
    interval?: number,
  ) {
    super(error, description, undefined, interval);
  }
}

/** POST /oauth/token with the device_code grant: the RFC 8628 §3.4/3.5 answers, in order. */
export async function pollDeviceToken(
  ctx: IdentityContext,
  input: { clientId: unknown; deviceCode: unknown },
): Promise<IssuedToken> {
  if (input.clientId !== DEVICE_CLIENT_ID) throw new OAuthError('invalid_client', 'unknown client_id');
  if (
    typeof input.deviceCode !== 'string' ||
    input.deviceCode.length === 0 ||
    input.deviceCode.length > 256
  ) {
    throw new OAuthError('invalid_request', 'device_code is required');
  }
  const hash = deviceCodeHash(input.deviceCode);
  const request = await requestByHash(ctx.redis, hash);
  if (!request || request.clientId !== input.clientId) {
    throw new PollError('invalid_grant', 'unknown device_code', null);
  }
  const refused = (reason: PollRefusal, orgId: string | null, userId: string | null) => ({
    reason,
    orgId,
    userId,
    flowId: request.id,
  });
  if (await isUsed(ctx.redis, hash)) {
    throw new PollError(
      'invalid_grant',
      'this device_code was already used',
      refused('invalid_grant', request.orgId, null),
    );
  }
  const now = ctx.clock();
  const decision = await decisionOf(ctx.redis, hash);
  if (decision?.status === 'denied') {
    throw new PollError(
      'access_denied',
      'the sign-in was denied in the browser',
      refused('access_denied', request.orgId, decision.userId),
    );
  }
  if (request.expiresAt <= now.getTime()) {
    throw new PollError(
      'expired_token',
      'the device_code has expired; run the sign-in again',
      refused('expired_token', request.orgId, decision?.userId ?? null),
    );
  }
  if (!decision) {
    const pace = await recordPoll(ctx.redis, hash, request, now.getTime());
    if (!pace.onPace) {
      throw new PollError('slow_down', `poll at most every ${pace.interval} seconds`, null, pace.interval);
    }
    throw new PollError('authorization_pending', 'waiting for approval in the browser', null);
  }
  // Approved. Single use from here on, whatever happens next.
  if (!(await markUsed(ctx.redis, hash))) {
    throw new PollError(
      'invalid_grant',
      'this device_code was already used',
      refused('invalid_grant', decision.orgId, decision.userId),
    );
  }
  const standing = await approvalStanding(ctx.db, decision.sessionId, decision.orgId, decision.userId);
  const session = standing.session;
  const live =
    session &&
    !session.revokedAt &&
    session.absoluteExpiresAt > now &&
    session.user.status === 'active' &&
    standing.org?.status === 'active' &&
    standing.membership?.role === decision.role;
  if (!live) {
    throw new PollError(
      'invalid_grant',
      'the approving browser session has ended or the membership changed; run the sign-in again',
      refused('session_ended', decision.orgId, decision.userId),
    );
  }
  const lifetime = ctx.settings.AIRLOCK_DEVICE_TOKEN_HOURS * 3_600_000;
  const expiresAt = new Date(Math.min(now.getTime() + lifetime, session.absoluteExpiresAt.getTime()));
  const { row, token } = await insertDeviceToken(ctx.db, {
    orgId: decision.orgId,
    userId: decision.userId,
    sessionId: session.id,
    role: decision.role,
    expiresAt,
    now,
  });
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: Math.floor((expiresAt.getTime() - now.getTime()) / 1000),
    token_id: row.id,
    flowId: request.id,
    orgId: decision.orgId,
    userId: decision.userId,
    email: decision.email,
    expiresAt,
  };
}
