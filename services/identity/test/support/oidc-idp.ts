// A real OpenID provider (panva/oidc-provider) on 127.0.0.1 for end-to-end sign-in tests.
// Interactions are automatic: the provider signs in whichever account the test selected.
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import { createSecretBox, type Db, type Keyring, type Role } from '@airlock/common';
import { freePort } from '@airlock/common/testing';
import { insertConnection } from '../../src/store/sso-connections.js';

export interface IdpAccount {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  /** The `email_verified` claim as sent; `'absent'` leaves it out. Default: true. */
  emailVerified?: unknown;
}

export interface OidcIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next sign-in authenticates as. */
  signInAs(account: IdpAccount): void;
  close(): Promise<void>;
}

export async function startOidcIdp(redirectUri: string): Promise<OidcIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'airlock-test';
  const clientSecret = 'a-client-secret-that-is-long-enough-0123456789';
  let current: IdpAccount | undefined;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false, // put email/groups in the ID token, like Okta and Keycloak
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    async findAccount(_ctx, sub) {
      const account = current;
      if (!account || account.sub !== sub) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          email: account.email,
          ...(account.emailVerified === 'absent'
            ? {}
            : { email_verified: account.emailVerified === undefined ? true : account.emailVerified }),
          name: account.name,
          groups: account.groups,
        }),
      };
    },
  });
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`oidc-provider server_error: ${String(err)}\n`);
  });

  const callback = provider.callback();
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (!current) throw new Error('signInAs() was not called');
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: current.sub } },
          {
            mergeWithLastSubmission: false,
          },
        );
        return;
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId });
      grant.addOIDCScope('openid email profile groups');
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        {
          mergeWithLastSubmission: true,
        },
      );
    })().catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (account) => {
      current = account;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The connection settings most suites use: the groups claim read, no group required. */
const GROUPS_CONFIG = {
  scopes: ['openid', 'email', 'profile', 'groups'],
  groupsClaim: 'groups',
  requireMappedGroup: false,
};

/**
 * Stores the org's OIDC connection to a test IdP (this one or any with an issuer and client).
 * `config` replaces the settings beyond issuer and client id (default GROUPS_CONFIG).
 */
export function connectOidcIdp(
  db: Db,
  keyring: Keyring,
  idp: Pick<OidcIdp, 'issuer' | 'clientId' | 'clientSecret'>,
  c: {
    orgId: string;
    name?: string;
    enabled?: boolean;
    config?: Record<string, unknown>;
    groupRoleMap?: Record<string, Role>;
    defaultRole?: Role;
  },
) {
  return insertConnection(db, createSecretBox(keyring), {
    orgId: c.orgId,
    protocol: 'oidc',
    name: c.name ?? 'Test IdP',
    enabled: c.enabled,
    config: { issuer: idp.issuer, clientId: idp.clientId, ...(c.config ?? GROUPS_CONFIG) },
    secret: idp.clientSecret,
    groupRoleMap: c.groupRoleMap ?? {},
    defaultRole: c.defaultRole ?? 'member',
  });
}
