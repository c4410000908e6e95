// Browser sign-in through the org's IdP (the flow itself is domain/sso-login.ts).
//   GET /auth/login?org=<slug>[&connection=<id>][&returnTo=/path]  redirects to the IdP
//   GET /auth/oidc/callback                                          the IdP's answer (OIDC)
//   POST /auth/saml/:org/acs                                         the IdP's answer (SAML, HTTP-POST)
//   GET /auth/saml/:org/metadata                                     SP metadata for the IdP admin
// An org with several enabled connections and none named gets a chooser page (names only).
// Every failure renders the same plain error page (or, for Accept: application/json, the
// error envelope with details.reason).
import type { Request, Response } from 'express';
import { Router } from 'express';
import { publicRoute, readCookie } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { requestMeta } from './audit-event.js';
import { sendChooser } from './pages/chooser-page.js';
import { sendLoginConfirm, sendLoginError } from './pages/error-page.js';
import { createOidcClient, type OidcClient } from '../domain/oidc.js';
import { sessionCookieOf, setSessionCookie } from './session-cookie.js';
import {
  completeOidcSignIn,
  completeSamlSignIn,
  reportSignInFailure,
  samlMetadata,
  startSignIn,
  type CompleteResult,
  type LoginContext,
  type SignInRequest,
} from '../domain/sso-login.js';
import { identityErrors } from '../errors.js';
import { authorizeTester } from './sso-tester.js';

const BINDING_COOKIE = 'airlock_sso_binding';
/** Only set on https (SameSite=None requires Secure), hence always __Host-. */
const SAML_BINDING_COOKIE = '__Host-airlock_saml_binding';

function bindingCookieName(secure: boolean) {
  return secure ? `__Host-${BINDING_COOKIE}` : BINDING_COOKIE;
}

/** A navigation another site started (Fetch Metadata; browsers without it are not told apart). */
function startedElsewhere(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
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

  function clearBindingCookie(res: Response) {
    res.clearCookie(bindingCookieName(ctx.secureCookies), {
      path: '/',
      httpOnly: true,
      secure: ctx.secureCookies,
      sameSite: 'lax',
    });
  }

  function signInRequest(req: Request): SignInRequest {
    return { meta: requestMeta(req), previousSession: sessionCookieOf(req, ctx.secureCookies) };
  }

  async function fail(req: Request, res: Response, e: unknown, context: LoginContext) {
    const failure = await reportSignInFailure(ctx, e, context, requestMeta(req));
    clearBindingCookie(res);
    sendLoginError(req, res, failure);
  }

  function finish(res: Response, result: CompleteResult) {
    if (result.kind === 'signed_in') {
      setSessionCookie(res, ctx.secureCookies, result.session.token, result.session.absoluteExpiresAt);
    }
    res.redirect(303, result.returnTo);
  }

  router.get('/auth/login', PUBLIC.start, async (req, res) => {
    const context: LoginContext = { method: 'oidc' };
    try {
      const result = await startSignIn(
        ctx,
        oidcClient,
        {
          query: req.query,
          clientIp: req.ip ?? 'unknown',
          startedElsewhere: startedElsewhere(req),
          authorizeTester: (orgId) => authorizeTester(ctx, req, res, orgId),
        },
        context,
      );
      if (result.kind === 'confirm') {
        sendLoginConfirm(res, result.org.slug, req.originalUrl);
        return;
      }
      if (result.kind === 'chooser') {
        sendChooser(req, res, result.org, result.connections, result.returnTo);
        return;
      }
      const maxAge = ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS * 1000;
      if (result.protocol === 'saml' && result.binding) {
        res.cookie(SAML_BINDING_COOKIE, result.binding, {
          httpOnly: true,
          secure: true,
          sameSite: 'none',
          path: '/',
          maxAge,
        });
      } else if (result.protocol === 'oidc' && result.binding) {
        res.cookie(bindingCookieName(ctx.secureCookies), result.binding, {
          httpOnly: true,
          secure: ctx.secureCookies,
          sameSite: 'lax', // sent on the IdP's top-level redirect back to us, not on cross-site POSTs
          path: '/',
          maxAge,
        });
      }
      res.redirect(303, result.url);
    } catch (e) {
      await fail(req, res, e, context);
    }
  });

  router.get('/auth/oidc/callback', PUBLIC.finish, async (req, res) => {
    const context: LoginContext = { method: 'oidc' };
    try {
      const state =
        typeof req.query.state === 'string' && req.query.state.length <= 512 ? req.query.state : '';
      const binding = readCookie(req, bindingCookieName(ctx.secureCookies));
      const result = await completeOidcSignIn(
        ctx,
        oidcClient,
        {
          state,
          binding,
          currentUrl: new URL(req.originalUrl, ctx.config.AIRLOCK_PUBLIC_URL),
          request: signInRequest(req),
        },
        context,
      );
      clearBindingCookie(res);
      finish(res, result);
    } catch (e) {
      await fail(req, res, e, context);
    }
  });

  router.post('/auth/saml/:org/acs', PUBLIC.finish, async (req, res) => {
    const context: LoginContext = { method: 'saml' };
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const cookie = readCookie(req, SAML_BINDING_COOKIE);
      const result = await completeSamlSignIn(
        ctx,
        {
          orgSlug: String(req.params.org),
          relayState:
            typeof body.RelayState === 'string' && body.RelayState.length <= 128 ? body.RelayState : '',
          samlResponse: body.SAMLResponse,
          binding: cookie,
          request: signInRequest(req),
        },
        context,
      );
      if (cookie)
        res.clearCookie(SAML_BINDING_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'none' });
      finish(res, result);
    } catch (e) {
      await fail(req, res, e, context);
    }
  });

  router.get('/auth/saml/:org/metadata', PUBLIC.metadata, async (req, res) => {
    const metadata = await samlMetadata(ctx, String(req.params.org));
    if (metadata === null) throw identityErrors.connectionNotFound();
    res.type('application/samlmetadata+xml').send(metadata);
  });

  return router;
}
