// OpenID Connect sign-in with openid-client 6: discovery, authorization code + PKCE (S256),
// state (one-time, in Redis, bound to the browser) and nonce, and full ID token validation
// (signature checked against the IdP's JWKS, never `none`; issuer,
// audience, expiry with a small clock tolerance, nonce).
import * as oidc from 'openid-client';
import { createSecretBox, type SecretBox } from '@airlock/common';
import { idpFetch, loopbackAllowed } from './outbound.js';
import type { IdentityContext } from '../context.js';
import { loginFailures } from './login-failure.js';
import { normaliseGroups } from './role-mapping.js';
import type { VerifiedIdentity } from './provisioning.js';
import {
  oidcConfigSchema,
  openSecret,
  type ConnectionRow,
  type OidcConfig,
} from '../store/sso-connections.js';

const DISCOVERY_TTL_MS = 10 * 60_000;

export interface OidcClient {
  /** The IdP's authorization URL for a new sign-in. */
  authorizationUrl(
    connection: ConnectionRow,
    checks: { state: string; nonce: string; codeChallenge: string },
  ): Promise<URL>;
  /** Exchanges the code and validates the ID token; throws LoginFailure on anything wrong. */
  complete(
    connection: ConnectionRow,
    currentUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<VerifiedIdentity>;
  /** Forgets a connection's discovered metadata (after it is edited or deleted). */
  forget(connectionId: string): void;
}

export function callbackUrl(publicUrl: string): string {
  return new URL('/auth/oidc/callback', publicUrl).toString();
}

export function parseOidcConfig(connection: ConnectionRow): OidcConfig {
  return oidcConfigSchema.parse(connection.config);
}

export function createOidcClient(
  ctx: IdentityContext,
  box: SecretBox = createSecretBox(ctx.keyring),
): OidcClient {
  const cache = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();
  const allowHttp = loopbackAllowed(ctx);
  // Discovery and every endpoint it names (token, JWKS, userinfo) are fetched through the guard.
  const guardedFetch = idpFetch(ctx);

  function configuration(connection: ConnectionRow): Promise<oidc.Configuration> {
    // The service clock's offset is part of the key: validation uses it (tests move the clock).
    const skew = Math.round((ctx.clock().getTime() - Date.now()) / 1000);
    const key = `${connection.id}:${connection.updatedAt.getTime()}:${skew}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    const settings = parseOidcConfig(connection);
    const issuer = new URL(settings.issuer);
    if (issuer.protocol !== 'https:' && !allowHttp) {
      return Promise.reject(loginFailures.idpError(new Error('OIDC issuer must be https')));
    }
    const secret = openSecret(box, connection);
    const config = oidc
      .discovery(
        issuer,
        settings.clientId,
        {
          [oidc.clockSkew]: skew,
          [oidc.clockTolerance]: ctx.settings.AIRLOCK_SSO_CLOCK_SKEW_SECONDS,
        },
        secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
        {
          execute: allowHttp && issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
          timeout: 10,
          [oidc.customFetch]: guardedFetch as oidc.CustomFetch,
        },
      )
      .then((c) => {
        c[oidc.customFetch] = guardedFetch as oidc.CustomFetch;
        // The spec lets a client trust the token endpoint's TLS instead of the ID token's
        // signature; we check the signature against the IdP's JWKS as well (defence in depth,
        // and the only protection if TLS is terminated somewhere we do not control).
        oidc.enableNonRepudiationChecks(c);
        return c;
      })
      .catch((e: unknown) => {
        cache.delete(key);
        throw loginFailures.idpError(e);
      });
    cache.set(key, { at: Date.now(), config });
    return config;
  }

  return {
    async authorizationUrl(connection, checks) {
      const settings = parseOidcConfig(connection);
      const config = await configuration(connection);
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl(ctx.config.AIRLOCK_PUBLIC_URL),
        scope: [...new Set(['openid', ...settings.scopes])].join(' '),
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: checks.codeChallenge,
        code_challenge_method: 'S256',
        response_type: 'code',
      });
    },

    async complete(connection, currentUrl, checks) {
      const settings = parseOidcConfig(connection);
      const config = await configuration(connection);
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
      } catch (e) {
        if (e instanceof oidc.AuthorizationResponseError) throw loginFailures.idpDenied();
        throw loginFailures.idpError(e);
      }
      const claims = tokens.claims();
      if (!claims) throw loginFailures.idpError(new Error('no ID token'));
      let email = typeof claims.email === 'string' ? claims.email : null;
      let emailVerified = claims.email_verified === true;
      let name = typeof claims.name === 'string' ? claims.name : null;
      let groups: unknown = claims[settings.groupsClaim];
      if (
        (!email || groups === undefined) &&
        tokens.access_token &&
        config.serverMetadata().userinfo_endpoint
      ) {
        // Some IdPs keep email or groups out of the ID token; the UserInfo answer is bound to
        // the same subject (openid-client checks `sub`).
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => null);
        if (info) {
          if (!email && typeof info.email === 'string') {
            email = info.email;
            emailVerified = info.email_verified === true;
          }
          name ??= typeof info.name === 'string' ? info.name : null;
          if (groups === undefined) groups = info[settings.groupsClaim];
        }
      }
      return {
        subject: claims.sub,
        email,
        emailVerified,
        name,
        groups: normaliseGroups(groups),
        claims: { ...claims, ...(groups !== undefined ? { [settings.groupsClaim]: groups } : {}) },
      };
    },

    forget(connectionId) {
      for (const key of cache.keys()) if (key.startsWith(`${connectionId}:`)) cache.delete(key);
    },
  };
}
