// SAML 2.0 sign-in with @node-saml (through @node-saml/passport-saml's re-export): the
// AuthnRequest goes out by HTTP-Redirect, the Response comes back by HTTP-POST. node-saml
// checks signatures (the assertion must always be signed; one assertion only, which defeats
// signature wrapping), audience, NotBefore/NotOnOrAfter with a small skew, and InResponseTo
// against request ids kept in Redis. We add what it leaves out: a DOCTYPE/entity refusal
// before parsing, Issuer, SubjectConfirmationData Recipient and Response Destination checks,
// and a one-time replay cache of assertion ids in Redis.
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/passport-saml';
import { inflateRawSync } from 'node:zlib';
import type { IdentityContext } from '../context.js';
import { loginFailures, LoginFailure } from './login-failure.js';
import { normaliseGroups } from './role-mapping.js';
import type { VerifiedIdentity } from './provisioning.js';
import { samlConfigSchema, type ConnectionRow, type SamlConfig } from '../store/sso-connections.js';

const MAX_RESPONSE_BYTES = 256 * 1024;
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export function spEntityId(publicUrl: string, orgSlug: string): string {
  return new URL(`/auth/saml/${orgSlug}/metadata`, publicUrl).toString();
}

export function acsUrl(publicUrl: string, orgSlug: string): string {
  return new URL(`/auth/saml/${orgSlug}/acs`, publicUrl).toString();
}

export function parseSamlConfig(connection: ConnectionRow): SamlConfig {
  return samlConfigSchema.parse(connection.config);
}

/** The ID of the AuthnRequest carried by an HTTP-Redirect binding URL we just built. */
export function authnRequestIdOf(redirectUrl: string): string {
  const request = new URL(redirectUrl).searchParams.get('SAMLRequest') ?? '';
  const xml = inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
  const id = /\sID="([^"]{1,128})"/.exec(xml)?.[1];
  if (!id) throw new Error('AuthnRequest without an ID');
  return id;
}

/** AuthnRequest ids in Redis, so the answer can arrive at any replica, and only once. */
function requestIdCache(ctx: IdentityContext, connectionId: string): CacheProvider {
  const key = (id: string) => `airlock:saml:request:${connectionId}:${id}`;
  const ttl = ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS;
  return {
    async saveAsync(id, value) {
      const ok = await ctx.redis.client.set(key(id), value, 'EX', ttl, 'NX');
      return ok ? { value, createdAt: Date.now() } : null;
    },
    getAsync: (id) => ctx.redis.client.get(key(id)),
    async removeAsync(id) {
      if (id === null) return null;
      return ctx.redis.client.getdel(key(id));
    },
  };
}

function pem(body: string): string {
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function samlFor(ctx: IdentityContext, connection: ConnectionRow, orgSlug: string): SAML {
  const settings = parseSamlConfig(connection);
  return new SAML({
    issuer: spEntityId(ctx.config.AIRLOCK_PUBLIC_URL, orgSlug),
    callbackUrl: acsUrl(ctx.config.AIRLOCK_PUBLIC_URL, orgSlug),
    entryPoint: settings.idpSsoUrl,
    idpCert: settings.idpCertificates.map(pem),
    idpIssuer: settings.idpEntityId,
    audience: spEntityId(ctx.config.AIRLOCK_PUBLIC_URL, orgSlug),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: settings.wantResponseSigned,
    acceptedClockSkewMs: ctx.settings.AIRLOCK_SSO_CLOCK_SKEW_SECONDS * 1000,
    maxAssertionAgeMs: 10 * 60_000,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: ctx.settings.AIRLOCK_SSO_LOGIN_TTL_SECONDS * 1000,
    cacheProvider: requestIdCache(ctx, connection.id),
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
  });
}

type XmlNode = { $?: Record<string, string>; _?: string; [k: string]: unknown };
const first = (v: unknown): XmlNode | undefined => (Array.isArray(v) ? (v[0] as XmlNode) : undefined);

/** Checks the parts of a verified response node-saml does not, and returns who signed in. */
async function verifyExtras(
  ctx: IdentityContext,
  settings: SamlConfig,
  profile: Profile,
  responseXml: string,
  expectedAcs: string,
): Promise<VerifiedIdentity> {
  if (profile.issuer !== settings.idpEntityId) throw new Error('assertion issuer is not the configured IdP');
  const assertion = (profile.getAssertion?.() as { Assertion?: XmlNode } | undefined)?.Assertion;
  if (!assertion?.$?.ID) throw new Error('assertion has no ID');
  const confirmation = first(
    first((first(assertion.Subject) ?? {}).SubjectConfirmation)?.SubjectConfirmationData,
  );
  const recipient = confirmation?.$?.Recipient;
  if (recipient !== expectedAcs) throw new Error('SubjectConfirmationData Recipient is not our ACS URL');
  // The Response element may be unsigned (only the assertion is): Destination is checked as
  // an extra consistency check, the signed Recipient above is the one that counts.
  const destination = /<(?:\w+:)?Response\b[^>]*\sDestination="([^"]*)"/.exec(responseXml)?.[1];
  if (destination !== undefined && destination !== expectedAcs)
    throw new Error('Response Destination is not our ACS URL');

  // One-time use: an assertion id is remembered until it expires anyway.
  const notOnOrAfter = Date.parse(confirmation?.$?.NotOnOrAfter ?? '') || Date.now() + 10 * 60_000;
  const ttl = Math.max(
    60,
    Math.ceil((notOnOrAfter - Date.now()) / 1000) + ctx.settings.AIRLOCK_SSO_CLOCK_SKEW_SECONDS,
  );
  const fresh = await ctx.redis.client.set(
    `airlock:saml:assertion:${settings.idpEntityId}:${assertion.$.ID}`,
    '1',
    'EX',
    ttl,
    'NX',
  );
  if (fresh !== 'OK')
    throw new LoginFailure(
      'assertion_replayed',
      'This sign-in response was already used. Please start again.',
    );

  const attr = (name: string | undefined) => (name ? (profile as Record<string, unknown>)[name] : undefined);
  const emailValue = settings.emailAttribute
    ? attr(settings.emailAttribute)
    : profile.nameIDFormat === EMAIL_FORMAT
      ? profile.nameID
      : (profile.email ?? profile.mail);
  const nameValue = attr(settings.nameAttribute);
  return {
    subject: profile.nameID,
    email: typeof emailValue === 'string' ? emailValue : null,
    name: typeof nameValue === 'string' ? nameValue : null,
    groups: normaliseGroups(attr(settings.groupsAttribute)),
    inResponseTo: typeof profile.inResponseTo === 'string' ? profile.inResponseTo : undefined,
    claims: { ...(profile as Record<string, unknown>) },
  };
}

/** Validates a posted SAMLResponse; throws LoginFailure on anything wrong. */
export async function completeSaml(
  ctx: IdentityContext,
  connection: ConnectionRow,
  orgSlug: string,
  samlResponse: unknown,
): Promise<VerifiedIdentity> {
  if (
    typeof samlResponse !== 'string' ||
    samlResponse.length === 0 ||
    samlResponse.length > MAX_RESPONSE_BYTES
  ) {
    throw loginFailures.idpError(new Error('missing or oversized SAMLResponse'));
  }
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  // XML entities and DTDs have no place in SAML and are how XXE and billion-laughs start.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw loginFailures.idpError(new Error('DOCTYPE in SAML response'));
  const settings = parseSamlConfig(connection);
  try {
    const { profile } = await samlFor(ctx, connection, orgSlug).validatePostResponseAsync({
      SAMLResponse: samlResponse,
    });
    if (!profile) throw new Error('no profile in SAML response');
    return await verifyExtras(ctx, settings, profile, xml, acsUrl(ctx.config.AIRLOCK_PUBLIC_URL, orgSlug));
  } catch (e) {
    if (e instanceof LoginFailure) throw e;
    throw loginFailures.idpError(e);
  }
}
