// Break-glass platform admin sign-in (JSON API; used from a terminal or a minimal page).
//   POST /auth/local/login        {username, password, totp?}
//        -> 200 {status: "signed_in"} + session cookie
//        -> 200 {status: "mfa_enrollment_required", enrollmentToken, secret, otpauthUrl} (first time)
//   POST /auth/local/mfa/enroll   {enrollmentToken, totp} -> 200 {status: "signed_in"} + cookie
import { Router, type Request, type Response } from 'express';
import { publicRoute } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { requestMeta } from './audit-event.js';
import { confirmEnrollment, LocalLoginError, localLogin } from '../domain/local-login.js';
import { auditLoginFailure } from '../domain/login-failure-audit.js';
import { signIn } from './session-cookie.js';
import { identityErrors } from '../errors.js';

const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  // Bounded: argon2 of a megabyte is a cheap way to burn our CPU.
  password: z.string().min(1).max(1024),
  totp: z
    .string()
    .regex(/^\d{6}$/)
    .optional(),
});
const enrollBody = z.strictObject({
  enrollmentToken: z.string().min(10).max(200),
  totp: z.string().regex(/^\d{6}$/),
});

/** The break-glass sign-in needs no principal yet (the route-abilities test pins these reasons). */
const PUBLIC = {
  login: publicRoute('break-glass sign-in (no org)'),
  enroll: publicRoute('break-glass TOTP enrolment: the enrolment token is the credential'),
};

export function localLoginRoutes(ctx: IdentityContext): Router {
  const router = Router();

  async function failed(req: Request, e: LocalLoginError) {
    await auditLoginFailure(ctx, {
      action: 'auth.login_failed',
      orgId: null,
      actor: { type: 'anonymous', id: null, email: null },
      outcome: 'failure',
      details: { method: 'local', reason: e.reason, ...(e.username ? { username: e.username } : {}) },
      ...requestMeta(req),
    });
    ctx.logger.warn({ requestId: req.id, reason: e.reason }, 'break-glass sign-in failed');
    return e.error;
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown): T {
    const result = schema.safeParse(value ?? {});
    // Issues name the field only: a zod message could quote the input (the password).
    if (!result.success) throw identityErrors.invalid(result.error.issues, { message: false });
    return result.data;
  }

  async function signedIn(req: Request, res: Response, userId: string) {
    await signIn(ctx, req, res, { userId, orgId: null });
    ctx.audit.publish({
      action: 'auth.login',
      orgId: null,
      actor: { type: 'user', id: userId, email: null },
      outcome: 'success',
      details: { method: 'local' },
      ...requestMeta(req),
    });
    res.json({ status: 'signed_in' });
  }

  router.post('/auth/local/login', PUBLIC.login, async (req, res) => {
    const body = parse(loginBody, req.body);
    let result;
    try {
      result = await localLogin(ctx, body, req.ip ?? 'unknown');
    } catch (e) {
      if (e instanceof LocalLoginError) throw await failed(req, e);
      throw e;
    }
    if (result.kind === 'enroll') {
      res.json({
        status: 'mfa_enrollment_required',
        enrollmentToken: result.enrollmentToken,
        secret: result.secret,
        otpauthUrl: result.otpauthUrl,
      });
      return;
    }
    await signedIn(req, res, result.userId);
  });

  router.post('/auth/local/mfa/enroll', PUBLIC.enroll, async (req, res) => {
    const body = parse(enrollBody, req.body);
    let userId: string;
    try {
      ({ userId } = await confirmEnrollment(ctx, body, req.ip ?? 'unknown'));
    } catch (e) {
      if (e instanceof LocalLoginError) throw await failed(req, e);
      throw e;
    }
    ctx.audit.publish({
      action: 'auth.mfa_enrolled',
      orgId: null,
      actor: { type: 'user', id: userId, email: null },
      outcome: 'success',
      details: {},
      ...requestMeta(req),
    });
    await signedIn(req, res, userId);
  });

  return router;
}
