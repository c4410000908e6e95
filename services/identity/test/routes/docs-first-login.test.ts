// docs/install.md "First login" must stay true: its curl block runs here as written (bash,
// curl, jq) against rbac and identity on a real Postgres, with the bootstrap token and an
// in-process oidc-provider as the IdP; then the named owner signs in and is owner.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFixture, type Fixture } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { startOidcIdp, type OidcIdp } from '../support/oidc-idp.js';
import { callbackUrl } from '../../src/domain/oidc.js';

const DOC = readFileSync(path.resolve(import.meta.dirname, '../../../../docs/install.md'), 'utf8');
const MARKER =
  '<!-- services/identity/test/routes/docs-first-login.test.ts runs the next block as written. -->';
const BOOT = `boot_${randomBytes(32).toString('base64url')}`;

function firstLoginBlock(): string {
  const at = DOC.indexOf(MARKER);
  expect(at).toBeGreaterThan(-1);
  const block = /```sh\n([\s\S]*?)```/.exec(DOC.slice(at));
  return block![1]!;
}

describe('docs/install.md: First login', () => {
  let f: Fixture;
  let idp: OidcIdp;
  beforeAll(async () => {
    f = await startFixture({
      listen: true,
      rbacBootstrapToken: BOOT,
      settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true },
    });
    idp = await startOidcIdp(callbackUrl(f.url));
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  it('sets up an org with the documented curl steps, after which the named owner signs in as owner', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', firstLoginBlock()], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        AIRLOCK: f.url,
        TOKEN: BOOT,
        ISSUER: idp.issuer,
        CLIENT_ID: idp.clientId,
        CLIENT_SECRET: idp.clientSecret,
      },
    });
    const org = await f.ctx.db.system.org.findUniqueOrThrow({ where: { slug: 'acme' } });
    expect(await f.ctx.db.system.ssoConnection.count({ where: { orgId: org.id } })).toBe(1);
    // The last step printed the SCIM token (curl adds no newlines between answers); the IdP can use it.
    const scim = { token: /"token":"(alscim_[^"]+)"/.exec(stdout)?.[1] };
    expect(scim.token).toBeDefined();
    const users = await fetch(`${f.url}/scim/v2/Users`, {
      headers: { authorization: `Bearer ${scim.token}` },
    });
    expect(users.status).toBe(200);

    idp.signInAs({ sub: 'boss', email: 'boss@acme.example', name: 'Boss', groups: [] });
    const page = await new Browser().get(`${f.url}/auth/login?org=acme&returnTo=/api/v1/me`);
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toMatchObject({ role: 'owner', org: { slug: 'acme' } });
    // Five processes (bash, curl) and a full OIDC sign-in: more than jest's 5 s default on a busy machine.
  }, 30_000);
});
