// Which IdP URLs identity will fetch (OIDC discovery and every endpoint it names, SAML
// metadata). An org admin types these in, and the discovery document names the rest, so every
// fetch goes through common's guarded fetch (net/guarded-fetch.ts, the gateway's guard):
// never link-local, cloud metadata (also as ::ffff:, IPv4-compatible or NAT64 IPv6, or a name
// with a trailing dot), multicast or unspecified addresses, checked on the address actually
// dialled, so a name that resolves to one is refused too. Loopback only where the dev/test
// allowance (AIRLOCK_SSO_ALLOW_HTTP_ISSUERS, never in production) permits plain-http issuers.
import { createGuardedFetch, DestinationPolicy, validationFailed, type GuardedFetch } from '@airlock/common';
import type { IdentityContext } from '../context.js';

type Allowance = Pick<IdentityContext, 'settings' | 'config'>;

/** The dev/test allowance: plain http and loopback IdPs (all-in-one, tests), never in production. */
export function loopbackAllowed(ctx: Allowance): boolean {
  return ctx.settings.AIRLOCK_SSO_ALLOW_HTTP_ISSUERS && ctx.config.NODE_ENV !== 'production';
}

const policies = {
  strict: new DestinationPolicy({ allowlist: [], allowLoopback: false }),
  loopback: new DestinationPolicy({ allowlist: [], allowLoopback: true }),
};
const fetches = new Map<boolean, GuardedFetch>();

function policyFor(ctx: Allowance): DestinationPolicy {
  return loopbackAllowed(ctx) ? policies.loopback : policies.strict;
}

/** True when identity may fetch this URL's host as written (the dialled address is checked at connect). */
export function outboundHostAllowed(url: URL, ctx: Allowance): boolean {
  return policyFor(ctx).hostVerdict(url.hostname) !== 'refused';
}

export function checkIssuerUrl(value: string, ctx: Allowance): void {
  const url = new URL(value);
  const bad = (message: string) => validationFailed([{ path: '$.config.issuer', message }], message);
  if (url.protocol !== 'https:' && !(loopbackAllowed(ctx) && url.protocol === 'http:'))
    throw bad('issuer must be an https URL');
  if (url.username || url.password) throw bad('issuer must not contain credentials');
  if (url.search || url.hash) throw bad('issuer must not have a query or fragment');
  if (!outboundHostAllowed(url, ctx))
    throw bad('issuer must not be a loopback, link-local or metadata address');
}

/**
 * The fetch for every IdP call (openid-client's customFetch, SAML metadata): its connections
 * pass the guard, and a refusal rejects with code EAIRLOCKREFUSED before anything is sent.
 */
export function idpFetch(ctx: Allowance): GuardedFetch {
  const allow = loopbackAllowed(ctx);
  let f = fetches.get(allow);
  if (!f) {
    f = createGuardedFetch(allow ? policies.loopback : policies.strict);
    fetches.set(allow, f);
  }
  return f;
}
