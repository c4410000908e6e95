// Which IdP URLs identity will fetch (OIDC discovery and every endpoint it names, SAML
// metadata). An org admin types these in, so they pass common's outbound-destination guard
// (the gateway's): never link-local, cloud metadata (also as ::ffff:, IPv4-compatible or
// NAT64 IPv6, or a name with a trailing dot), multicast or unspecified addresses. Loopback
// stays allowed (in-cluster IdPs and tests), as it was.
// Not covered yet: a hostname that resolves to such an address (the socket's DNS is not
// pinned here as it is in the gateway's upstream client).
import { AirlockError, DestinationPolicy } from '@airlock/common';
import type { IdentityContext } from '../context.js';

const guard = new DestinationPolicy({ allowlist: [], allowLoopback: true });

/** True when identity may fetch this URL's host (scheme rules are the callers'). */
export function outboundHostAllowed(url: URL): boolean {
  return guard.hostVerdict(url.hostname) !== 'refused';
}

export function checkIssuerUrl(value: string, ctx: Pick<IdentityContext, 'settings' | 'config'>): void {
  const url = new URL(value);
  const allowHttp = ctx.settings.AIRLOCK_SSO_ALLOW_HTTP_ISSUERS && ctx.config.NODE_ENV !== 'production';
  const bad = (message: string) =>
    new AirlockError('validation_failed', message, { details: [{ path: ['config', 'issuer'], message }] });
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:'))
    throw bad('issuer must be an https URL');
  if (url.username || url.password) throw bad('issuer must not contain credentials');
  if (url.search || url.hash) throw bad('issuer must not have a query or fragment');
  if (!outboundHostAllowed(url)) throw bad('issuer must not be a link-local or metadata address');
}

/**
 * A fetch for openid-client that refuses every URL the guard refuses: the issuer and each
 * endpoint discovery names (token, JWKS, userinfo), which the admin never typed in.
 */
export function guardedFetch(url: string, options: RequestInit): Promise<Response> {
  if (!outboundHostAllowed(new URL(url))) {
    return Promise.reject(new Error('IdP endpoint refused by the outbound-destination guard'));
  }
  return fetch(url, options);
}
