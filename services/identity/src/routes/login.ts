// Browser sign-in through the org's IdP.
//   GET /auth/login?org=<slug>[&connection=<id>][&returnTo=/path]  redirects to the IdP
//   GET /auth/oidc/callback                                          the IdP's answer (OIDC)
//   POST /auth/saml/:org/acs                                         the IdP's answer (SAML, HTTP-POST)
//   GET /auth/saml/:org/metadata                                     SP metadata for the IdP admin
// An org with several enabled connections and none named gets a chooser page (names only).
// Every failure renders the same plain error page (or, for Accept: application/json, the
// error envelope with details.reason) and emits auth.login_failed; unknown org, suspended
// org and no SSO are distinct reasons.
import type { Request, Response } from 'express';
import { Router } from 'express';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { requestMeta } from '../domain/audit.js';
import { sendLoginConfirm, sendLoginError } from '../domain/error-page.js';
import { sendChooser } from '../domain/chooser-page.js';
import { LoginFailure, loginFailures } from '../domain/login-failure.js';
import { auditLoginFailure } from '../domain/login-failure-audit.js';
import { createOidcClient, parseOidcConfig, type OidcClient } from '../domain/oidc.js';
import { provisionSsoUser, type VerifiedIdentity } from '../domain/provisioning.js';
import { signIn } from '../domain/sessions.js';
import {
  enabledConnections,
  findConnection,
  loginConnection,
  samlConnection,
  type ConnectionRow,
} from '../store/sso-connections.js';
import { authnRequestIdOf, completeSaml, parseSamlConfig, samlFor } from '../domain/saml.js';
import { newBinding, saveLoginState, takeLoginState, type LoginState } from '../store/login-state.js';
import { AirlockError, readCookie, sha256Hex } from '@airlock/common';
import { publicRoute } from '@airlock/common';
import { testFailed, testSucceeded } from '../domain/sso-test.js';
import { saveTestResult } from '../store/sso-test-results.js';
import { authorizeTester } from './sso-tester.js';
import { hit } from '../store/throttle.js';
import { identityErrors } from '../errors.js';

const BINDING_COOKIE = 'airlock_sso_binding';
/** Only set on https (SameSite=None requires Secure), hence always __Host-. */
const SAML_BINDING_COOKIE = '__Host-airlock_saml_binding';
const loginQuery = z.object({
  org: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  connection: z.uuid().optional(),
  returnTo: z.string().max(2048).optional(),
  /** A test sign-in (admins): the IdP round trip runs, nobody is signed in (routes/sso-test.ts). */
  test: z.literal('1').optional(),
});

/** Only same-site paths: "/x" yes; "//evil.com", "/\\evil.com", "https://…" no. */
export function safeReturnTo(value: string | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  return /^[\x21-\x7e]*$/.test(value) ? value : '/';
}

function bindingCookieName(secure: boolean) {
  return secure ? `__Host-${BINDING_COOKIE}` : BINDING_COOKIE;
}

/** A navigation another site started (Fetch Metadata; browsers without it are not told apart). */
function startedElsewhere(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
}

/** What a failure report needs to know about the sign-in it ends. */
interface LoginContext {
  orgId?: string;
  connectionId?: string;
  method: 'oidc' | 'saml';
  /** Set for a test sign-in: the failure is reported to this admin too. */
  test?: { userId: string };
}

export interface LoginDeps {
  oidc?: OidcClient;
}

/** Signing in needs no principal yet (the route-abilities test pins these reasons). */
const PUBLIC = {
  start: publicRoute('starts a sign-in'),
  finish: publicRoute('finishes a sign-in: the IdP sends its answer'),
  metadata: publicRoute("the SP's public SAML metadata"),
};

export function loginRoutes(ctx: IdentityContext, deps: LoginDeps = {}): Router {
  const router = Router();
  const oidcClient = deps.oidc ?? createOidcClient(ctx);

  async function fail(req: Request, res: Response, e: unknown, context: LoginContext) {
    const failure =
      e instanceof LoginFailure
        ? e
        : // A rule refused the provisioning (e.g. demoting the last owner): say which.
          e instanceof AirlockError && e.status < 500
          ? loginFailures.refusedBy(e)
          : new LoginFailure(
              'internal_error',
              'Sign-in is unavailable right now. Please try again later.',
              503,
              {
                cause: e,
              },
            );
    ctx.logger.warn(
      {
        requestId: req.id,
        reason: failure.reason,
        orgId: context.orgId,
        connectionId: context.connectionId,
        // The cause's message only (openid-client/validation); never tokens or claims.
        cause:
          failure.cause instanceof Error
            ? `${failure.cause.name}: ${failure.cause.message}`.slice(0, 300)
            : undefined,
      },
      'sign-in failed',
    );
    await auditLoginFailure(ctx, req, {
      action: 'auth.login_failed',
      orgId: context.orgId ?? null,
      actor: { type: 'anonymous', id: null, email: null },
      outcome: 'failure',
      details: {
        method: context.method,
        reason: failure.reason,
        ...(context.connectionId ? { connectionId: context.connectionId } : {}),
      },
      ...requestMeta(req),
    });
    res.clearCookie(bindingCookieName(ctx.secureCookies), {
      path: '/',
      httpOnly: true,
      secure: ctx.secureCookies,
      sameSite: 'lax',
    });
    if (context.test && context.connectionId) {
      await saveTestResult(
        ctx.redis,
        context.test.userId,
        testFailed({ id: context.connectionId, protocol: context.method }, failure, ctx.clock()),
      ).catch(() => undefined); // Redis down: the page below still says what went wrong
    }
    sendLoginError(req, res, failure);
  }

  async function activeOrg(where: { slug: string } | { id: string }) {
    const org = await ctx.db.system.org.findUnique({ where });
    if (!org) throw loginFailures.unknownOrg();
    if (org.status !== 'active') throw loginFailures.orgSuspended();
    return org;
  }

  router.get('/auth/login', PUBLIC.start, async (req, res) => {
    const context: LoginContext = { method: 'oidc' };
    try {
      // Each start stores state in Redis for minutes: bounded per client IP.
      const throttled = await hit(
        ctx.redis,
        'sso-login-ip',
        req.ip ?? 'unknown',
        ctx.settings.AIRLOCK_SSO_LOGIN_IP_LIMIT,
        60,
      );
      if (throttled.ok === 'unavailable') throw throttled.cause;
      if (throttled.ok === false) {
        throw new LoginFailure(
          'ip_throttled',
          'Too many sign-in attempts from your network. Please wait a minute.',
          429,
        );
      }
      const query = loginQuery.safeParse(req.query);
      if (!query.success) throw loginFailures.unknownOrg();
      const org = await activeOrg({ slug: query.data.org });
      context.orgId = org.id;
      // Login CSRF: a start another site navigated to is confirmed by the user first (the
      // link below is a same-origin navigation). Same-site siblings count as other sites.
      if (startedElsewhere(req)) {
        sendLoginConfirm(res, org.slug, req.originalUrl);
        return;
      }
      const returnTo = safeReturnTo(query.data.returnTo);
      const test = query.data.test ? await authorizeTester(ctx, req, res, org.id) : undefined;
      context.test = test; // from here on, a failure (IdP discovery, say) is reported to the tester too
      // A test sign-in names its connection, which need not be enabled yet.
      const tested =
        test && query.data.connection ? await findConnection(ctx.db, org.id, query.data.connection) : null;
      if (test && !tested) throw loginFailures.unknownConnection();
      const enabled = tested ? [tested] : await enabledConnections(ctx.db, org.id);
      if (enabled.length === 0) throw loginFailures.noConnection();
      const connection = query.data.connection
        ? enabled.find((c) => c.id === query.data.connection)
        : enabled.length === 1
          ? enabled[0]
          : undefined;
      if (!connection && query.data.connection) throw loginFailures.unknownConnection();
      if (!connection) {
        // Several ways in and none named: the person picks (names only).
        sendChooser(req, res, org, enabled, returnTo);
        return;
      }
      context.connectionId = connection.id;
      context.method = connection.protocol;
      if (connection.protocol === 'saml') {
        // RelayState keys the sign-in state, which names the AuthnRequest (InResponseTo) it
        // must answer. On https the browser is bound too, by a SameSite=None cookie (the
        // IdP's cross-site POST would not carry a Lax one): a response for someone else's
        // sign-in posted into this browser (login CSRF) is refused.
        const relayState = newBinding();
        const binding = newBinding();
        const url = await samlFor(ctx, connection, org.slug).getAuthorizeUrlAsync(relayState, undefined, {});
        await saveLoginState(
          ctx.redis,
          relayState,
          {
            protocol: 'saml',
            orgId: org.id,
            connectionId: connection.id,
            binding: ctx.secureCookies ? sha256Hex(binding) : null,
            returnTo,
            samlRequestId: authnRequestIdOf(url),
            ...(test ? { test } : {}),
          },
          ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS,
        );
        if (ctx.secureCookies) {
          res.cookie(SAML_BINDING_COOKIE, binding, {
            httpOnly: true,
            secure: true,
            sameSite: 'none',
            path: '/',
            maxAge: ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS * 1000,
          });
        }
        res.redirect(303, url);
        return;
      }
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const binding = newBinding();
      const url = await oidcClient.authorizationUrl(connection, {
        state,
        nonce,
        codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      });
      const login: LoginState = {
        protocol: 'oidc',
        orgId: org.id,
        connectionId: connection.id,
        binding: sha256Hex(binding),
        returnTo,
        nonce,
        codeVerifier,
        ...(test ? { test } : {}),
      };
      await saveLoginState(ctx.redis, state, login, ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS);
      res.cookie(bindingCookieName(ctx.secureCookies), binding, {
        httpOnly: true,
        secure: ctx.secureCookies,
        sameSite: 'lax', // sent on the IdP's top-level redirect back to us, not on cross-site POSTs
        path: '/',
        maxAge: ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS * 1000,
      });
      res.redirect(303, url.toString());
    } catch (e) {
      await fail(req, res, e, context);
    }
  });

  router.get('/auth/oidc/callback', PUBLIC.finish, async (req, res) => {
    const context: LoginContext = { method: 'oidc' };
    try {
      const state =
        typeof req.query.state === 'string' && req.query.state.length <= 512 ? req.query.state : '';
      const login = state ? await takeLoginState(ctx.redis, state) : null;
      const binding = readCookie(req, bindingCookieName(ctx.secureCookies));
      if (!login || login.protocol !== 'oidc' || !binding || sha256Hex(binding) !== login.binding) {
        throw loginFailures.badState();
      }
      context.orgId = login.orgId;
      context.connectionId = login.connectionId;
      context.test = login.test;
      res.clearCookie(bindingCookieName(ctx.secureCookies), {
        path: '/',
        httpOnly: true,
        secure: ctx.secureCookies,
        sameSite: 'lax',
      });
      const org = await activeOrg({ id: login.orgId });
      const connection = login.test
        ? await findConnection(ctx.db, org.id, login.connectionId)
        : await loginConnection(ctx.db, org.id, login.connectionId);
      if (!connection || connection.protocol !== 'oidc') throw loginFailures.noConnection();
      const currentUrl = new URL(req.originalUrl, ctx.config.AIRLOCK_PUBLIC_URL);
      const who = await oidcClient.complete(connection, currentUrl, {
        state,
        nonce: login.nonce!,
        codeVerifier: login.codeVerifier!,
      });
      await finishLogin(
        req,
        res,
        org,
        connection,
        who,
        login.returnTo,
        parseOidcConfig(connection).requireMappedGroup,
        login.test,
      );
    } catch (e) {
      await fail(req, res, e, context);
    }
  });

  const slugParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

  router.post('/auth/saml/:org/acs', PUBLIC.finish, async (req, res) => {
    const context: LoginContext = { method: 'saml' };
    try {
      const slug = slugParam.safeParse(req.params.org);
      if (!slug.success) throw loginFailures.unknownOrg();
      const org = await activeOrg({ slug: slug.data });
      context.orgId = org.id;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const relay =
        typeof body.RelayState === 'string' && body.RelayState.length <= 128 ? body.RelayState : '';
      // The sign-in state names the connection (an org may have several SAML IdPs); it is
      // single-use either way, so taking it before the response is verified costs nothing.
      const login = relay ? await takeLoginState(ctx.redis, relay) : null;
      const connection =
        (login?.protocol === 'saml'
          ? login.test
            ? await findConnection(ctx.db, org.id, login.connectionId)
            : await loginConnection(ctx.db, org.id, login.connectionId)
          : null) ?? (await samlConnection(ctx.db, org.id));
      if (!connection || connection.protocol !== 'saml') throw loginFailures.noConnection();
      context.connectionId = connection.id;
      if (login?.protocol === 'saml' && login.connectionId === connection.id) context.test = login.test;
      const who = await completeSaml(ctx, connection, org.slug, body.SAMLResponse);
      const cookie = readCookie(req, SAML_BINDING_COOKIE);
      if (
        !login ||
        login.protocol !== 'saml' ||
        login.connectionId !== connection.id ||
        !who.inResponseTo ||
        login.samlRequestId !== who.inResponseTo ||
        (login.binding !== null && (!cookie || sha256Hex(cookie) !== login.binding))
      ) {
        throw loginFailures.badState();
      }
      if (cookie)
        res.clearCookie(SAML_BINDING_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'none' });
      const returnTo = login.returnTo;
      await finishLogin(
        req,
        res,
        org,
        connection,
        who,
        returnTo,
        parseSamlConfig(connection).requireMappedGroup,
        login.test,
      );
    } catch (e) {
      await fail(req, res, e, context);
    }
  });

  router.get('/auth/saml/:org/metadata', PUBLIC.metadata, async (req, res) => {
    const slug = slugParam.safeParse(req.params.org);
    const org = slug.success ? await ctx.db.system.org.findUnique({ where: { slug: slug.data } }) : null;
    const connection = org && org.status === 'active' ? await samlConnection(ctx.db, org.id) : null;
    if (!org || !connection) throw identityErrors.connectionNotFound();
    res
      .type('application/samlmetadata+xml')
      .send(samlFor(ctx, connection, org.slug).generateServiceProviderMetadata(null, null));
  });

  /** Shared by OIDC and SAML once the IdP's answer is verified. */
  async function finishLogin(
    req: Request,
    res: Response,
    org: { id: string; allowedEmailDomains: string[] },
    connection: ConnectionRow,
    who: VerifiedIdentity,
    returnTo: string,
    requireMappedGroup: boolean,
    test?: { userId: string },
  ) {
    if (test) {
      // No user, membership or session: the report is all a test sign-in leaves behind.
      const report = testSucceeded(connection, org, who, requireMappedGroup, ctx.clock());
      await saveTestResult(ctx.redis, test.userId, report);
      res.redirect(303, returnTo);
      return;
    }
    const user = await provisionSsoUser(ctx, org, connection, who, requireMappedGroup);
    await signIn(ctx, req, res, { userId: user.userId, orgId: org.id });
    ctx.audit.publish({
      action: 'auth.login',
      orgId: org.id,
      actor: { type: 'user', id: user.userId, email: user.email },
      outcome: 'success',
      details: { method: connection.protocol, connectionId: connection.id },
      ...requestMeta(req),
    });
    res.redirect(303, returnTo);
  }

  return router;
}
