// DEVELOPMENT identity provider for the all-in-one trial: a real OpenID provider
// (panva/oidc-provider) mounted at /dev-idp, with four demo users in four demo groups and one
// password printed at start. Identity signs in through it on its ordinary OIDC path (code +
// PKCE, discovery, signed ID tokens). Never started in production (see module.ts).
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { Router } from 'express';
import Provider from 'oidc-provider';

export const DEV_IDP_PATH = '/dev-idp';
export const DEV_IDP_CLIENT_ID = 'airlock-demo';

export const DEMO_USERS = [
  { sub: 'demo-owner', email: 'owner@example.com', name: 'Demo Owner', groups: ['demo-owners'] },
  { sub: 'demo-admin', email: 'admin@example.com', name: 'Demo Admin', groups: ['demo-admins'] },
  { sub: 'demo-member', email: 'member@example.com', name: 'Demo Member', groups: ['demo-members'] },
  { sub: 'demo-viewer', email: 'viewer@example.com', name: 'Demo Viewer', groups: ['demo-viewers'] },
] as const;

export const DEMO_GROUP_ROLES = {
  'demo-owners': 'owner',
  'demo-admins': 'admin',
  'demo-members': 'member',
  'demo-viewers': 'viewer',
} as const;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);

function loginForm(uid: string, error?: string): string {
  const options = DEMO_USERS.map((u) => `<option value="${esc(u.email)}">${esc(u.email)}</option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Development IdP · Airlock demo</title></head>
<body><main>
<h1>DEVELOPMENT identity provider</h1>
<p><strong>Demo only: not for real accounts.</strong> The password was printed when Airlock started.</p>
${error ? `<p>${esc(error)}</p>` : ''}
<form method="post" action="${DEV_IDP_PATH}/interaction/${esc(uid)}/login">
<label>User <select name="email">${options}</select></label>
<label>Password <input type="password" name="password" autocomplete="off"></label>
<button type="submit">Sign in</button>
</form>
</main></body></html>
`;
}

export interface DevIdp {
  issuer: string;
  router: Router;
}

export function createDevIdp(options: { publicUrl: string; password: string }): DevIdp {
  const issuer = `${options.publicUrl.replace(/\/$/, '')}${DEV_IDP_PATH}`;
  const redirectUri = `${options.publicUrl.replace(/\/$/, '')}/auth/oidc/callback`;
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEV_IDP_CLIENT_ID,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    ],
    jwks: { keys: [{ ...jwk, use: 'sig', alg: 'RS256', kid: 'dev-idp' }] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${DEV_IDP_PATH}/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    async findAccount(_ctx, sub) {
      const user = DEMO_USERS.find((u) => u.sub === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          groups: [...user.groups],
        }),
      };
    },
  });
  const expected = Buffer.from(options.password);
  const passwordOk = (given: unknown) => {
    const b = Buffer.from(typeof given === 'string' ? given : '');
    return b.length === expected.length && timingSafeEqual(b, expected);
  };

  const router = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch(() => {
      if (!res.headersSent) res.status(400).type('text').send('This sign-in has expired. Start again.');
    });
  };
  router.get(
    `${DEV_IDP_PATH}/interaction/:uid`,
    wrap(async (req, res) => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        res.type('html').send(loginForm(details.uid));
        return;
      }
      // Consent: the demo client is first-party; grant the scopes it asked for.
      const grant = new provider.Grant({
        accountId: details.session!.accountId,
        clientId: DEV_IDP_CLIENT_ID,
      });
      grant.addOIDCScope('openid email profile groups');
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        {
          mergeWithLastSubmission: true,
        },
      );
    }),
  );
  router.post(
    `${DEV_IDP_PATH}/interaction/:uid/login`,
    wrap(async (req, res) => {
      const details = await provider.interactionDetails(req, res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const user = DEMO_USERS.find((u) => u.email === body.email);
      if (!user || !passwordOk(body.password)) {
        res.status(401).type('html').send(loginForm(details.uid, 'Wrong user or password.'));
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub } },
        {
          mergeWithLastSubmission: false,
        },
      );
    }),
  );
  router.use(DEV_IDP_PATH, provider.callback());
  return { issuer, router };
}
