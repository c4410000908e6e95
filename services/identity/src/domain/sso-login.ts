// The browser sign-in through an org's IdP, without HTTP (routes/login.ts reads the request
// and writes the redirect, cookies and pages):
//   start     org and connection lookup, the chooser decision, sign-in state bound to the
//             browser, the IdP's URL (OIDC with PKCE, state and nonce; SAML AuthnRequest)
//   complete  the IdP's verified answer (ID token claims, SAML assertion) → identity →
//             provisioning → session; a test sign-in only records its report
//   failure   what a failed sign-in reports: the stable reason, a log line without tokens or
//             claims, the auth.login_failed event and, for a test sign-in, the tester's report
// Unknown org, suspended org and no SSO are distinct reasons.
import * as oidc from 'openid-client';
import { z } from 'zod';
import { AirlockError, sha256Hex, type RequestMeta } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { LoginFailure, loginFailures } from './login-failure.js';
import { auditLoginFailure } from './login-failure-audit.js';
import type { OidcClient } from './oidc.js';
import { parseOidcConfig } from './oidc.js';
import { provisionSsoUser, type VerifiedIdentity } from './provisioning.js';
import { authnRequestIdOf, completeSaml, parseSamlConfig, samlFor } from './saml.js';
import { openSession } from './sessions.js';
import { testFailed, testSucceeded } from './sso-test.js';
import { findOrg, type SignInOrg } from '../store/orgs.js';
import { newBinding, saveLoginState, takeLoginState, type LoginState } from '../store/login-state.js';
import {
  enabledConnections,
  findConnection,
  loginConnection,
  samlConnection,
  type ConnectionRow,
} from '../store/sso-connections.js';
import { saveTestResult } from '../store/sso-test-results.js';
import { hit } from '../store/throttle.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
const loginQuery = z.object({
  org: slug,
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

/**
 * What a failure report needs to know about the sign-in it ends. Each step fills it in as it
 * learns more, so a failure at any point reports as much as was known.
 */
export interface LoginContext {
  orgId?: string;
  connectionId?: string;
  method: 'oidc' | 'saml';
  /** Set for a test sign-in: the failure is reported to this admin too. */
  test?: { userId: string };
}

/** The request as the sign-in flow sees it: meta for audit and sessions, nothing of HTTP. */
export interface SignInRequest {
  meta: RequestMeta;
  /** The session cookie the browser already had (revoked when a new session starts). */
  previousSession: string | undefined;
}

export type StartResult =
  /** Another site started this sign-in: the person confirms it first (login CSRF). */
  | { kind: 'confirm'; org: SignInOrg }
  /** Several ways in and none named: the person picks (names only). */
  | { kind: 'chooser'; org: SignInOrg; connections: ConnectionRow[]; returnTo: string }
  /**
   * To the IdP. `binding` is the value of the browser-binding cookie to set: for OIDC always,
   * for SAML only when cookies are Secure (the SameSite=None cookie the IdP's POST carries).
   */
  | { kind: 'redirect'; url: string; protocol: 'oidc' | 'saml'; binding: string | null };

/** A sign-in that completed: a session to set, or (test sign-in) only a report recorded. */
export type CompleteResult =
  | { kind: 'signed_in'; returnTo: string; session: { token: string; absoluteExpiresAt: Date } }
  | { kind: 'tested'; returnTo: string };

async function activeOrg(ctx: IdentityContext, where: { slug: string } | { id: string }) {
  const org = await findOrg(ctx.db, where);
  if (!org) throw loginFailures.unknownOrg();
  if (org.status !== 'active') throw loginFailures.orgSuspended();
  return org;
}

/** The org the SAML ACS or metadata URL names, by its slug; null unless it is active. */
async function samlOrg(ctx: IdentityContext, orgSlug: string) {
  const parsed = slug.safeParse(orgSlug);
  const org = parsed.success ? await findOrg(ctx.db, { slug: parsed.data }) : null;
  return org && org.status === 'active' ? org : null;
}

/** The SP metadata of the org's SAML connection; null when it has none (or is not active). */
export async function samlMetadata(ctx: IdentityContext, orgSlug: string): Promise<string | null> {
  const org = await samlOrg(ctx, orgSlug);
  const connection = org ? await samlConnection(ctx.db, org.id) : null;
  if (!org || !connection) return null;
  return samlFor(ctx, connection, org.slug).generateServiceProviderMetadata(null, null);
}

/**
 * GET /auth/login: picks the connection and sends the browser to its IdP. `authorizeTester`
 * is asked only for a test sign-in (?test=1) and throws when the caller may not test.
 */
export async function startSignIn(
  ctx: IdentityContext,
  oidcClient: OidcClient,
  input: {
    query: unknown;
    clientIp: string;
    /** A navigation another site started (Fetch Metadata). */
    startedElsewhere: boolean;
    authorizeTester: (orgId: string) => Promise<{ userId: string }>;
  },
  context: LoginContext,
): Promise<StartResult> {
  // Each start stores state in Redis for minutes: bounded per client IP.
  const throttled = await hit(
    ctx.redis,
    'sso-login-ip',
    input.clientIp,
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
  const query = loginQuery.safeParse(input.query);
  if (!query.success) throw loginFailures.unknownOrg();
  const org = await activeOrg(ctx, { slug: query.data.org });
  context.orgId = org.id;
  // Login CSRF: a start another site navigated to is confirmed by the user first (the
  // confirmation link is a same-origin navigation). Same-site siblings count as other sites.
  if (input.startedElsewhere) return { kind: 'confirm', org };
  const returnTo = safeReturnTo(query.data.returnTo);
  const test = query.data.test ? await input.authorizeTester(org.id) : undefined;
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
  if (!connection) return { kind: 'chooser', org, connections: enabled, returnTo };
  context.connectionId = connection.id;
  context.method = connection.protocol;
  const ttl = ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS;
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
      ttl,
    );
    return { kind: 'redirect', url, protocol: 'saml', binding: ctx.secureCookies ? binding : null };
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
  await saveLoginState(ctx.redis, state, login, ttl);
  return { kind: 'redirect', url: url.toString(), protocol: 'oidc', binding };
}

/** GET /auth/oidc/callback: the IdP's answer, for the browser holding the binding cookie. */
export async function completeOidcSignIn(
  ctx: IdentityContext,
  oidcClient: OidcClient,
  input: { state: string; binding: string | undefined; currentUrl: URL; request: SignInRequest },
  context: LoginContext,
): Promise<CompleteResult> {
  const login = input.state ? await takeLoginState(ctx.redis, input.state) : null;
  if (!login || login.protocol !== 'oidc' || !input.binding || sha256Hex(input.binding) !== login.binding) {
    throw loginFailures.badState();
  }
  context.orgId = login.orgId;
  context.connectionId = login.connectionId;
  context.test = login.test;
  const org = await activeOrg(ctx, { id: login.orgId });
  const connection = login.test
    ? await findConnection(ctx.db, org.id, login.connectionId)
    : await loginConnection(ctx.db, org.id, login.connectionId);
  if (!connection || connection.protocol !== 'oidc') throw loginFailures.noConnection();
  const who = await oidcClient.complete(connection, input.currentUrl, {
    state: input.state,
    nonce: login.nonce!,
    codeVerifier: login.codeVerifier!,
  });
  return finishSignIn(ctx, org, connection, who, {
    returnTo: login.returnTo,
    requireMappedGroup: parseOidcConfig(connection).requireMappedGroup,
    test: login.test,
    request: input.request,
  });
}

/** POST /auth/saml/:org/acs: the IdP's posted answer. */
export async function completeSamlSignIn(
  ctx: IdentityContext,
  input: {
    orgSlug: string;
    relayState: string;
    samlResponse: unknown;
    /** The SameSite=None binding cookie, when the browser sent one. */
    binding: string | undefined;
    request: SignInRequest;
  },
  context: LoginContext,
): Promise<CompleteResult> {
  const parsed = slug.safeParse(input.orgSlug);
  if (!parsed.success) throw loginFailures.unknownOrg();
  const org = await activeOrg(ctx, { slug: parsed.data });
  context.orgId = org.id;
  // The sign-in state names the connection (an org may have several SAML IdPs); it is
  // single-use either way, so taking it before the response is verified costs nothing.
  const login = input.relayState ? await takeLoginState(ctx.redis, input.relayState) : null;
  const connection =
    (login?.protocol === 'saml'
      ? login.test
        ? await findConnection(ctx.db, org.id, login.connectionId)
        : await loginConnection(ctx.db, org.id, login.connectionId)
      : null) ?? (await samlConnection(ctx.db, org.id));
  if (!connection || connection.protocol !== 'saml') throw loginFailures.noConnection();
  context.connectionId = connection.id;
  if (login?.protocol === 'saml' && login.connectionId === connection.id) context.test = login.test;
  const who = await completeSaml(ctx, connection, org.slug, input.samlResponse);
  if (
    !login ||
    login.protocol !== 'saml' ||
    login.connectionId !== connection.id ||
    !who.inResponseTo ||
    login.samlRequestId !== who.inResponseTo ||
    (login.binding !== null && (!input.binding || sha256Hex(input.binding) !== login.binding))
  ) {
    throw loginFailures.badState();
  }
  return finishSignIn(ctx, org, connection, who, {
    returnTo: login.returnTo,
    requireMappedGroup: parseSamlConfig(connection).requireMappedGroup,
    test: login.test,
    request: input.request,
  });
}

/** Shared by OIDC and SAML once the IdP's answer is verified. */
async function finishSignIn(
  ctx: IdentityContext,
  org: SignInOrg,
  connection: ConnectionRow,
  who: VerifiedIdentity,
  how: {
    returnTo: string;
    requireMappedGroup: boolean;
    test: { userId: string } | undefined;
    request: SignInRequest;
  },
): Promise<CompleteResult> {
  if (how.test) {
    // No user, membership or session: the report is all a test sign-in leaves behind.
    const report = testSucceeded(connection, org, who, how.requireMappedGroup, ctx.clock());
    await saveTestResult(ctx.redis, how.test.userId, report);
    return { kind: 'tested', returnTo: how.returnTo };
  }
  const user = await provisionSsoUser(ctx, org, connection, who, how.requireMappedGroup);
  const session = await openSession(ctx, {
    userId: user.userId,
    orgId: org.id,
    previousToken: how.request.previousSession,
    clientIp: how.request.meta.clientIp,
    userAgent: how.request.meta.userAgent,
  });
  ctx.audit.publish({
    action: 'auth.login',
    orgId: org.id,
    actor: { type: 'user', id: user.userId, email: user.email },
    outcome: 'success',
    details: { method: connection.protocol, connectionId: connection.id },
    ...how.request.meta,
  });
  return { kind: 'signed_in', returnTo: how.returnTo, session };
}

/**
 * Turns whatever ended a sign-in into its LoginFailure and reports it: one log line (the
 * cause's message only, never tokens or claims), auth.login_failed (bounded per address and
 * org) and, for a test sign-in, the tester's report. The caller shows the failure.
 */
export async function reportSignInFailure(
  ctx: IdentityContext,
  e: unknown,
  context: LoginContext,
  meta: RequestMeta,
): Promise<LoginFailure> {
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
      requestId: meta.requestId ?? undefined,
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
  await auditLoginFailure(ctx, {
    action: 'auth.login_failed',
    orgId: context.orgId ?? null,
    actor: { type: 'anonymous', id: null, email: null },
    outcome: 'failure',
    details: {
      method: context.method,
      reason: failure.reason,
      ...(context.connectionId ? { connectionId: context.connectionId } : {}),
    },
    ...meta,
  });
  if (context.test && context.connectionId) {
    await saveTestResult(
      ctx.redis,
      context.test.userId,
      testFailed({ id: context.connectionId, protocol: context.method }, failure, ctx.clock()),
    ).catch(() => undefined); // Redis down: the page the caller shows still says what went wrong
  }
  return failure;
}
