// Rule: every IdP fetch (OIDC discovery and each endpoint the discovery document names —
// token, JWKS, userinfo — and the SAML metadata URL) passes the one outbound guard in common,
// on the address actually dialled. Every written form of a loopback, link-local or metadata
// address is refused with code EAIRLOCKREFUSED before anything is sent; loopback only under
// the dev/test allowance (AIRLOCK_SSO_ALLOW_HTTP_ISSUERS outside production).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSecretBox, isDestinationRefused, parseKeyring } from '@airlock/common';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { identityConfig } from '../../src/config.js';
import { createOidcClient } from '../../src/domain/oidc.js';
import { idpFetch } from '../../src/domain/outbound.js';
import { fetchIdpMetadata } from '../../src/domain/saml-metadata.js';
import type { IdentityContext } from '../../src/context.js';
import type { ConnectionRow } from '../../src/store/sso-connections.js';

/** Loopback in every written form the URL parser accepts (decimal, octal, hex, mapped, by name). */
const LOOPBACK = [
  '127.0.0.1',
  '[::1]',
  '2130706433',
  '0177.0.0.1',
  '0x7f000001',
  '[::ffff:127.0.0.1]',
  'localhost',
];
/** Never dialled, allowance or not. */
const ALWAYS = [
  '169.254.169.254',
  '2852039166', // 169.254.169.254 in decimal
  '[::ffff:169.254.169.254]',
  '[::a9fe:a9fe]',
  '[64:ff9b::a9fe:a9fe]', // NAT64
  '[fe80::1]',
  '[fd00:ec2::254]',
  'metadata.google.internal.',
  'metadata.google.internal',
  '0.0.0.0',
  '[::]',
];

// Port 8081 throughout: fetch itself refuses a few "bad ports" (1, 7, 9…) before any guard.
const strict = { settings: identityConfig(), config: { NODE_ENV: 'test' } } as unknown as IdentityContext;
const allowed = {
  settings: identityConfig({ AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true }),
  config: { NODE_ENV: 'test' },
} as unknown as IdentityContext;
const production = {
  settings: identityConfig({ AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true }),
  config: { NODE_ENV: 'production' },
} as unknown as IdentityContext;

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'reached';
  } catch (e) {
    return isDestinationRefused(e) ? 'EAIRLOCKREFUSED' : `other: ${String(e)}`;
  }
};

describe('the IdP fetch (every OIDC and SAML fetch goes through it)', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const paths = ['/.well-known/openid-configuration', '/jwks', '/token', '/userinfo', '/saml/metadata'];

  it.each([...LOOPBACK, ...ALWAYS])('refuses %s for every fetch kind without the allowance', async (host) => {
    const before = hits;
    for (const path of paths) {
      for (const scheme of ['http', 'https']) {
        expect(await refusal(idpFetch(strict)(`${scheme}://${host}:${port}${path}`))).toBe('EAIRLOCKREFUSED');
      }
    }
    expect(hits).toBe(before);
  });

  it.each(ALWAYS)('refuses %s for every fetch kind even with the allowance', async (host) => {
    for (const path of paths) {
      expect(await refusal(idpFetch(allowed)(`http://${host}:${port}${path}`))).toBe('EAIRLOCKREFUSED');
    }
  });

  it('dials loopback under the dev/test allowance only, never in production', async () => {
    for (const host of ['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f000001', 'localhost']) {
      expect(await refusal(idpFetch(allowed)(`http://${host}:${port}/jwks`))).toBe('reached');
      expect(await refusal(idpFetch(production)(`http://${host}:${port}/jwks`))).toBe('EAIRLOCKREFUSED');
    }
  });
});

describe('openid-client’s fetches (discovery, token, JWKS) and the SAML metadata fetch', () => {
  let idp: Server;
  let issuer: string;
  const named: { token?: string; jwks?: string } = {};
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: object;
  const box = createSecretBox(parseKeyring(Buffer.alloc(32, 7).toString('base64')));

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signingKey = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    idp = createServer((req, res) => {
      const json = (body: object) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/.well-known/openid-configuration') {
        return json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: named.token ?? `${issuer}/token`,
          jwks_uri: named.jwks ?? `${issuer}/jwks`,
          response_types_supported: ['code'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (req.url === '/jwks') return json({ keys: [jwk] });
      if (req.url === '/token') {
        void new SignJWT({ nonce: 'n', sub: 's' })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(issuer)
          .setAudience('client')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(signingKey)
          .then((idToken) => json({ access_token: 'at', token_type: 'Bearer', id_token: idToken }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => idp.close(() => r())));

  let seq = 0;
  const connection = (iss: string): ConnectionRow => ({
    id: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    orgId: '00000000-0000-4000-8000-000000000000',
    protocol: 'oidc',
    name: 'x',
    enabled: true,
    config: { issuer: iss, clientId: 'client', scopes: ['openid'] },
    secretEnc: null,
    groupRoleMap: {},
    defaultRole: 'member',
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const ctxOf = (base: IdentityContext) =>
    ({ ...base, clock: () => new Date(), keyring: undefined }) as unknown as IdentityContext;
  const checks = { state: 'st', nonce: 'n', codeVerifier: 'v'.repeat(43), codeChallenge: 'c'.repeat(43) };
  const complete = (ctx: IdentityContext) =>
    createOidcClient(ctxOf(ctx), box).complete(
      connection(issuer),
      new URL('http://airlock.test/auth/oidc/callback?code=c&state=st'),
      checks,
    );

  it.each([...LOOPBACK, ...ALWAYS])(
    'discovery at %s is refused without the allowance (https issuer)',
    async (host) => {
      const client = createOidcClient(ctxOf(strict), box);
      expect(await refusal(client.authorizationUrl(connection(`https://${host}:8081`), checks))).toBe(
        'EAIRLOCKREFUSED',
      );
    },
  );

  it.each(ALWAYS)('discovery at %s is refused with the allowance too', async (host) => {
    const client = createOidcClient(ctxOf(allowed), box);
    expect(await refusal(client.authorizationUrl(connection(`http://${host}:8081`), checks))).toBe(
      'EAIRLOCKREFUSED',
    );
  });

  it.each(ALWAYS)('a token_endpoint the discovery document names at %s is refused', async (host) => {
    named.token = `http://${host}:8081/token`;
    try {
      expect(await refusal(complete(allowed))).toBe('EAIRLOCKREFUSED');
    } finally {
      delete named.token;
    }
  });

  it.each(ALWAYS)('a jwks_uri the discovery document names at %s is refused', async (host) => {
    named.jwks = `http://${host}:8081/jwks`;
    try {
      expect(await refusal(complete(allowed))).toBe('EAIRLOCKREFUSED');
    } finally {
      delete named.jwks;
    }
  });

  it('completes against the same loopback IdP when every endpoint it names is allowed', async () => {
    expect(await refusal(complete(allowed))).toBe('reached');
  });

  it.each([...LOOPBACK, ...ALWAYS])(
    'SAML metadata at %s: validation_failed, nothing fetched',
    async (host) => {
      const e = await fetchIdpMetadata(strict, `https://${host}:8081/metadata`).catch((err: unknown) => err);
      expect((e as { code?: string }).code).toBe('validation_failed');
      expect((e as Error).message).toMatch(/loopback, link-local or metadata|refused address/);
    },
  );
});
