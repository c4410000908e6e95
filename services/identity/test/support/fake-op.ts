// A hand-made OpenID provider whose ID tokens the test shapes: a correct one, or one broken in
// exactly one way (nonce, issuer, expiry, `alg: none`, wrong key, audience). oidc-provider
// cannot be made to misbehave, so attack cases run against this one.
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { freePort } from '@airlock/common/testing';

export type Mode =
  'ok' | 'wrong_nonce' | 'wrong_issuer' | 'expired' | 'alg_none' | 'wrong_key' | 'wrong_audience';

export interface FakeOp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  mode: Mode;
  close(): Promise<void>;
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

export async function startFakeOp(): Promise<FakeOp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const signing = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const pending = new Map<string, { nonce: string; challenge: string }>();
  const op: FakeOp = {
    issuer,
    clientId: 'fake-client',
    clientSecret: 'fake-secret-0123456789',
    mode: 'ok',
    close,
  };

  async function idToken(nonce: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: 'fake-sub',
      email: 'victim@acme.example',
      email_verified: true,
      name: 'Fake',
      groups: ['airlock-owners'],
      nonce: op.mode === 'wrong_nonce' ? 'another-nonce' : nonce,
    };
    if (op.mode === 'alg_none') {
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: issuer, aud: op.clientId, iat: now, exp: now + 300 })}.`;
    }
    const exp = op.mode === 'expired' ? now - 600 : now + 300;
    const iat = op.mode === 'expired' ? now - 900 : now;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(op.mode === 'wrong_issuer' ? 'http://127.0.0.1:1/evil' : issuer)
      .setAudience(op.mode === 'wrong_audience' ? 'someone-else' : op.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(op.mode === 'wrong_key' ? other.privateKey : signing.privateKey);
  }

  const json = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const code = `code-${Math.random().toString(36).slice(2)}`;
      pending.set(code, {
        nonce: url.searchParams.get('nonce') ?? '',
        challenge: url.searchParams.get('code_challenge') ?? '',
      });
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        void (async () => {
          const form = new URLSearchParams(body);
          const entry = pending.get(form.get('code') ?? '');
          pending.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          if (!entry || entry.challenge !== challenge) return json(res, 400, { error: 'invalid_grant' });
          json(res, 200, {
            access_token: 'at',
            token_type: 'Bearer',
            expires_in: 300,
            id_token: await idToken(entry.nonce),
          });
        })();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));

  function close(): Promise<void> {
    return new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  }
  return op;
}
