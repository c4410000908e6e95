// Which IdP URLs identity will fetch (OIDC discovery, JWKS). An org admin types these in, so
// they are checked: https only (http only when explicitly allowed outside production), and
// never cloud metadata or link-local addresses given literally.
// Not covered: a hostname that resolves to such an address (DNS is not pinned here).
import { isIP } from 'node:net';
import { AirlockError } from '@airlock/common';
import type { IdentityContext } from '../context.js';

function isLinkLocal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h) === 4) return h.startsWith('169.254.') || h === '0.0.0.0';
  if (isIP(h) === 6) return h.startsWith('fe80:') || h === '::' || h.startsWith('fd00:ec2:');
  return h === 'metadata.google.internal';
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
  if (isLinkLocal(url.hostname)) throw bad('issuer must not be a link-local or metadata address');
}
