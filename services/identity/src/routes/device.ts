// CLI sign-in (OAuth 2.0 Device Authorization Grant, RFC 8628).
//   POST /oauth/device/code   the CLI asks for a code pair (form or JSON; client_id, org)
//   POST /oauth/token         the CLI polls (grant_type device_code); OAuth error JSON
//   GET  /device              the member enters or confirms the code (SSO session required)
//   POST /device              Approve / Deny (same-origin form with a per-session token)
// The OAuth endpoints answer in RFC 6749's shape ({error, error_description}), not in the
// Airlock envelope: that is what OAuth clients parse.
import { createHmac } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { Router } from 'express';
import {
  AirlockError,
  can,
  isCrossSite,
  principalOf,
  publicRoute,
  safeEqual,
  withAuthScopeOf,
  type AuditEventInput,
  type Principal,
} from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { actorOf, requestMeta } from './audit-event.js';
import {
  decide,
  DEVICE_CLIENT_ID,
  DEVICE_GRANT_TYPE,
  OAuthError,
  pendingRequest,
  pollDeviceToken,
  PollError,
  requestDeviceCode,
  type CodeRejection,
} from '../domain/device-grant.js';
import { sendApprovePage, sendCodeForm, sendDevicePage, sendWrongOrg } from './pages/device-page.js';
import { sessionCookieOf } from './session-cookie.js';
import { normalizeUserCode, type DeviceRequest } from '../store/device-codes.js';
import { countMiss, guessesExhausted } from '../store/code-guesses.js';
import { hit } from '../store/throttle.js';
import { findOrg } from '../store/orgs.js';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

function field(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

function str(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

function sendOAuthError(res: Response, e: OAuthError): void {
  res.status(e.status).json({
    error: e.error,
    error_description: e.description,
    ...(e.interval !== undefined ? { interval: e.interval } : {}),
  });
}

/** RFC 6749 §5.1: token responses must not be cached. */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

/** The login URL that brings the member back to this exact page afterwards. */
function loginHref(orgSlug: string, back: string): string {
  return `/auth/login?${new URLSearchParams({ org: orgSlug, returnTo: back }).toString()}`;
}

function devicePath(userCode: string | undefined, org?: string): string {
  const q = new URLSearchParams();
  if (userCode) q.set('user_code', userCode);
  if (org) q.set('org', org);
  const qs = q.toString();
  return qs ? `/device?${qs}` : '/device';
}

/**
 * Binds the Approve/Deny form to this browser session and this request: an HMAC keyed by the
 * session cookie's secret, which no other site can read or compute.
 */
function formToken(sessionCookie: string, flowId: string): string {
  return createHmac('sha256', sessionCookie).update(`airlock device approval\0${flowId}`).digest('base64url');
}

/** The CLI's side of the grant needs no principal: the device code is its credential. */
const PUBLIC = {
  code: publicRoute('starts a CLI sign-in (a signed-in member approves it at /device)'),
  token: publicRoute('the CLI picks up its token with the device code'),
};

export function deviceRoutes(ctx: IdentityContext): Router {
  const router = Router();

  /** Redis or the database failing: logged, and refused (fail closed) in the OAuth shape. */
  function asOAuthError(req: Request, e: unknown): OAuthError {
    if (e instanceof OAuthError) return e;
    ctx.logger.warn({ requestId: req.id, err: (e as Error)?.message }, 'device sign-in unavailable');
    return new OAuthError('temporarily_unavailable', 'sign-in is unavailable right now; try again', 503);
  }

  /** The same for the browser pages: a plain 503 page (Airlock's own errors pass through). */
  function pageFailure(req: Request, res: Response, next: NextFunction, e: unknown): void {
    if (e instanceof AirlockError) return next(e);
    ctx.logger.warn({ requestId: req.id, err: (e as Error)?.message }, 'device sign-in page unavailable');
    sendDevicePage(res, 503, 'Unavailable', 'Sign-in is unavailable right now. Please try again later.');
  }

  const codeRejected = (req: Request, p: Principal | null, reason: CodeRejection | 'throttled') =>
    ctx.audit.publish({
      action: 'device.code_rejected',
      orgId: p?.orgId ?? null,
      actor: p ? actorOf(p) : { type: 'anonymous', id: null, email: null },
      outcome: 'denied',
      details: { reason },
      ...requestMeta(req),
    } satisfies AuditEventInput<'device.code_rejected'>);

  /** Who a wrong code counts against: the client IP and, once signed in, the member. */
  const guessers = (req: Request, p: Principal | null) => [
    `ip:${req.ip ?? 'unknown'}`,
    ...(p?.userId ? [`user:${p.userId}`] : []),
  ];

  /**
   * The pending request for a typed code, unless this IP or member has guessed wrong too
   * often ('throttled'; then even the right code is refused until the window ends).
   */
  async function lookUp(req: Request, p: Principal | null, rawCode: string) {
    const who = guessers(req, p);
    // Fail closed: without the counters nobody gets to try codes.
    if (await guessesExhausted(ctx.redis, who, ctx.settings.AIRLOCK_DEVICE_USER_CODE_LIMIT)) {
      return { ok: false as const, reason: 'throttled' as const };
    }
    const code = normalizeUserCode(rawCode);
    const pending = code ? await pendingRequest(ctx, code) : ({ ok: false, reason: 'unknown_code' } as const);
    if (!pending.ok && pending.reason === 'unknown_code') await countMiss(ctx.redis, who);
    return pending.ok ? { ...pending, code: code! } : pending;
  }

  router.post('/oauth/device/code', PUBLIC.code, async (req, res) => {
    noStore(res);
    try {
      const throttled = await hit(
        ctx.redis,
        'device-code-issue-ip',
        req.ip ?? 'unknown',
        ctx.settings.AIRLOCK_SSO_LOGIN_IP_LIMIT,
        60,
      );
      if (throttled.ok === 'unavailable') throw throttled.cause;
      if (throttled.ok === false) {
        throw new OAuthError('slow_down', 'too many sign-ins from this address; wait a minute', 429);
      }
      const { response, request } = await requestDeviceCode(ctx, {
        clientId: field(req.body, 'client_id'),
        org: field(req.body, 'org'),
        clientIp: req.ip ?? null,
      });
      ctx.audit.publish({
        action: 'device.code_issued',
        orgId: request.orgId,
        actor: { type: 'anonymous', id: null, email: null },
        outcome: 'success',
        details: { clientId: DEVICE_CLIENT_ID, expiresAt: new Date(request.expiresAt).toISOString() },
        target: { type: 'device_authorization', id: request.id },
        ...requestMeta(req),
      });
      res.json(response);
    } catch (e) {
      sendOAuthError(res, asOAuthError(req, e));
    }
  });

  router.post('/oauth/token', PUBLIC.token, async (req, res) => {
    noStore(res);
    try {
      const grantType = field(req.body, 'grant_type');
      if (typeof grantType !== 'string' || grantType === '') {
        throw new OAuthError('invalid_request', 'grant_type is required');
      }
      if (grantType !== DEVICE_GRANT_TYPE) {
        throw new OAuthError('unsupported_grant_type', `only ${DEVICE_GRANT_TYPE} is supported here`);
      }
      const issued = await pollDeviceToken(ctx, {
        clientId: field(req.body, 'client_id'),
        deviceCode: field(req.body, 'device_code'),
      });
      ctx.audit.publish({
        action: 'device.token_issued',
        orgId: issued.orgId,
        actor: { type: 'user', id: issued.userId, email: issued.email },
        outcome: 'success',
        details: { clientId: DEVICE_CLIENT_ID, expiresAt: issued.expiresAt.toISOString() },
        target: { type: 'api_token', id: issued.token_id },
        ...requestMeta(req),
      });
      res.json({
        access_token: issued.access_token,
        token_type: issued.token_type,
        expires_in: issued.expires_in,
        token_id: issued.token_id,
      });
    } catch (caught) {
      const e = asOAuthError(req, caught);
      if (e instanceof PollError && e.audit) {
        ctx.audit.publish({
          action: 'device.token_refused',
          orgId: e.audit.orgId,
          actor: e.audit.userId
            ? { type: 'user', id: e.audit.userId, email: null }
            : { type: 'anonymous', id: null, email: null },
          outcome: 'denied',
          details: { reason: e.audit.reason },
          target: { type: 'device_authorization', id: e.audit.flowId },
          ...requestMeta(req),
        });
      }
      sendOAuthError(res, e);
    }
  });

  /** Without a session, the page sends the member through SSO (the code's org) and back. */
  async function anonymous(req: Request, res: Response) {
    const userCode = str(req.query.user_code, 32);
    const org = str(req.query.org, 63);
    const back = devicePath(userCode, org);
    if (org && SLUG.test(org)) return res.redirect(303, loginHref(org, back));
    if (!userCode) return sendCodeForm(res, { askOrg: true });
    // The code may name its org: look it up, counted like a signed-in lookup.
    const pending = await lookUp(req, null, userCode);
    if (!pending.ok && pending.reason === 'throttled') {
      codeRejected(req, null, 'throttled');
      return sendCodeForm(res, {
        askOrg: true,
        status: 429,
        message: 'Too many attempts. Wait a few minutes.',
      });
    }
    if (pending.ok && pending.request.orgSlug)
      return res.redirect(303, loginHref(pending.request.orgSlug, back));
    sendCodeForm(res, { askOrg: true });
  }

  const sessionOrLogin = withAuthScopeOf((req: Request, res: Response, next: NextFunction) => {
    ctx.sessionOnly(req, res, (err?: unknown) => {
      if (err instanceof AirlockError && err.code === 'unauthenticated') {
        anonymous(req, res).catch((e: unknown) => pageFailure(req, res, next, e));
        return;
      }
      next(err);
    });
  }, ctx.sessionOnly);

  // The pages are anyone's with a session (the code form, the refusals); handing the CLI a
  // token is checked after the code, as creating an API token (mayApprove), and refused as a page.
  const signedIn = ctx.access.authorize('read', 'Session', { scope: 'org-or-platform' });

  /** May this browser session hand a CLI a token? The same right as creating an API token. */
  const mayApprove = (req: Request, p: Principal) =>
    p.kind === 'session' &&
    !!p.sessionId &&
    can(req, 'create', 'ApiToken', { orgId: p.orgId, userId: p.userId });

  /**
   * The checks GET and POST share for a signed-in member and a code: throttle, a pending
   * request, the right org, the right to hold a token. Renders the refusal and returns null.
   */
  async function approvable(
    req: Request,
    res: Response,
    p: Principal,
    rawCode: string,
  ): Promise<{ code: string; hash: string; request: DeviceRequest } | null> {
    const pending = await lookUp(req, p, rawCode);
    if (!pending.ok) {
      codeRejected(req, p, pending.reason);
      const messages = {
        throttled: [429, 'Too many attempts. Wait a few minutes.'],
        unknown_code: [404, 'That code is not valid. Check it and try again.'],
        expired_code: [410, 'That code has expired. Run the sign-in on your terminal again.'],
        already_decided: [409, 'That code was already used.'],
      } as const;
      const [status, message] = messages[pending.reason];
      sendCodeForm(res, { askOrg: false, status, message });
      return null;
    }
    if (pending.request.orgId && pending.request.orgId !== p.orgId) {
      codeRejected(req, p, 'wrong_org');
      sendWrongOrg(res, pending.request.orgSlug!, loginHref(pending.request.orgSlug!, devicePath(rawCode)));
      return null;
    }
    if (!mayApprove(req, p)) {
      sendDevicePage(
        res,
        403,
        'Not allowed',
        p.orgId
          ? 'Your role in this organisation cannot hold API tokens, so it cannot sign in the CLI.'
          : 'Sign in to an organisation (not the platform admin account) to approve a CLI sign-in.',
      );
      return null;
    }
    return { code: pending.code, hash: pending.hash, request: pending.request };
  }

  router.get('/device', sessionOrLogin, signedIn, (req, res, next) => {
    showDevice(req, res).catch((e: unknown) => pageFailure(req, res, next, e));
  });

  async function showDevice(req: Request, res: Response) {
    const p = principalOf(req);
    const rawCode = str(req.query.user_code, 32);
    if (!rawCode) return sendCodeForm(res, { askOrg: false });
    const ok = await approvable(req, res, p, rawCode);
    if (!ok) return;
    const org = await findOrg(ctx.db, { id: p.orgId! });
    sendApprovePage(res, {
      userCode: ok.code,
      orgName: org?.name ?? ok.request.orgSlug ?? '',
      email: p.email,
      clientIp: ok.request.clientIp,
      csrf: formToken(sessionCookieOf(req, ctx.secureCookies) ?? '', ok.request.id),
    });
  }

  router.post('/device', ctx.sessionOnly, signedIn, (req, res, next) => {
    answerDevice(req, res).catch((e: unknown) => pageFailure(req, res, next, e));
  });

  async function answerDevice(req: Request, res: Response) {
    // sessionOnly already refuses a cross-site POST that carries the cookie; say it again
    // here so this write never depends on the middleware's order of checks.
    if (isCrossSite(req)) throw new AirlockError('cross_site_refused', 'cross-site request refused');
    const p = principalOf(req);
    const rawCode = str(field(req.body, 'user_code'), 32);
    const decision = field(req.body, 'decision');
    const csrf = str(field(req.body, 'csrf'), 128);
    if (!rawCode || (decision !== 'approve' && decision !== 'deny')) {
      return sendCodeForm(res, { askOrg: false, status: 400, message: 'The form was incomplete.' });
    }
    const ok = await approvable(req, res, p, rawCode);
    if (!ok) return;
    const cookie = sessionCookieOf(req, ctx.secureCookies);
    if (!csrf || !cookie || !safeEqual(csrf, formToken(cookie, ok.request.id))) {
      return sendDevicePage(res, 403, 'Form expired', 'This form is no longer valid. Open the link again.');
    }
    const approve = decision === 'approve';
    if (!(await decide(ctx, p, ok, approve))) {
      codeRejected(req, p, 'already_decided');
      return sendDevicePage(res, 409, 'Already answered', 'That code was already approved or denied.');
    }
    ctx.audit.publish({
      action: approve ? 'device.approved' : 'device.denied',
      orgId: p.orgId,
      actor: actorOf(p),
      outcome: 'success',
      details: { clientId: DEVICE_CLIENT_ID },
      target: { type: 'device_authorization', id: ok.request.id },
      ...requestMeta(req),
    });
    if (approve) {
      sendDevicePage(res, 200, 'CLI signed in', 'You can close this window and return to your terminal.');
    } else {
      sendDevicePage(res, 200, 'Sign-in denied', 'The CLI will not be signed in. You can close this window.');
    }
  }

  return router;
}
