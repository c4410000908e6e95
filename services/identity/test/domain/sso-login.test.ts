// The SSO sign-in flow without HTTP (domain/sso-login.ts): which answer a start gets, how the
// sign-in state binds the browser, and what a failure reports. The IdP is a real in-process
// OpenID provider; routes/login.ts only carries these results over HTTP.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSecretBox, lastOwnerError } from '@airlock/common';
import { startFixture, type Fixture } from '../fixture.js';
import { startOidcIdp, type OidcIdp } from '../support/oidc-idp.js';
import { callbackUrl, createOidcClient, type OidcClient } from '../../src/domain/oidc.js';
import {
  completeOidcSignIn,
  reportSignInFailure,
  startSignIn,
  type LoginContext,
  type SignInRequest,
} from '../../src/domain/sso-login.js';
import { insertConnection } from '../../src/store/sso-connections.js';

describe('SSO sign-in flow (domain)', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let client: OidcClient;
  const orgs: Record<string, string> = {};

  async function connection(orgId: string, name: string, enabled = true) {
    const row = await insertConnection(f.ctx.db, createSecretBox(f.ctx.keyring), {
      orgId,
      protocol: 'oidc',
      name,
      enabled,
      config: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email'] },
      secret: idp.clientSecret,
      groupRoleMap: {},
      defaultRole: 'member',
    });
    return row.id;
  }

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    client = createOidcClient(f.ctx);
    for (const slug of ['flow-one', 'flow-multi', 'flow-none', 'flow-suspended']) {
      orgs[slug] = (await f.org(slug)).id;
    }
    await connection(orgs['flow-one']!, 'Okta');
    await connection(orgs['flow-multi']!, 'Okta');
    await connection(orgs['flow-multi']!, 'Entra');
    await connection(orgs['flow-multi']!, 'Retired', false);
    await connection(orgs['flow-suspended']!, 'Okta');
    await f.ctx.db.system.org.update({
      where: { id: orgs['flow-suspended']! },
      data: { status: 'suspended' },
    });
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  const noTester = async (): Promise<{ userId: string }> => {
    throw new Error('not a test sign-in');
  };
  const start = (
    query: Record<string, string>,
    context: LoginContext = { method: 'oidc' },
    elsewhere = false,
  ) =>
    startSignIn(
      f.ctx,
      client,
      { query, clientIp: '198.51.100.7', startedElsewhere: elsewhere, authorizeTester: noTester },
      context,
    );
  const request: SignInRequest = {
    meta: { clientIp: '198.51.100.7', userAgent: 'jest', requestId: 'req-flow' },
    previousSession: undefined,
  };

  it('tells an unknown org, a suspended org, no SSO and an unknown connection apart', async () => {
    await expect(start({ org: 'flow-nobody' })).rejects.toMatchObject({ reason: 'unknown_org', status: 404 });
    await expect(start({ org: 'Not A Slug!' })).rejects.toMatchObject({ reason: 'unknown_org' });
    await expect(start({ org: 'flow-suspended' })).rejects.toMatchObject({
      reason: 'org_suspended',
    });
    await expect(start({ org: 'flow-none' })).rejects.toMatchObject({ reason: 'no_connection' });
    const named: LoginContext = { method: 'oidc' };
    await expect(start({ org: 'flow-multi', connection: randomUUID() }, named)).rejects.toMatchObject({
      reason: 'unknown_connection',
    });
    expect(named.orgId).toBe(orgs['flow-multi']);
    expect(named.connectionId).toBeUndefined();
  });

  it('asks for a confirmation when another site started it, and offers a choice of enabled connections', async () => {
    const confirm = await start({ org: 'flow-one' }, { method: 'oidc' }, true);
    expect(confirm).toMatchObject({ kind: 'confirm', org: { slug: 'flow-one' } });
    const chooser = await start({ org: 'flow-multi', returnTo: '//evil.example/x' });
    expect(chooser.kind).toBe('chooser');
    if (chooser.kind !== 'chooser') return;
    expect(chooser.connections.map((c) => c.name).sort()).toEqual(['Entra', 'Okta']);
    expect(chooser.returnTo).toBe('/'); // not a same-site path
  });

  it('asks the tester check only for a test sign-in, and stops when it refuses', async () => {
    const asked: string[] = [];
    const refusing = async (orgId: string): Promise<{ userId: string }> => {
      asked.push(orgId);
      throw new Error('may not test');
    };
    await expect(
      startSignIn(
        f.ctx,
        client,
        {
          query: { org: 'flow-one', test: '1' },
          clientIp: '198.51.100.7',
          startedElsewhere: false,
          authorizeTester: refusing,
        },
        { method: 'oidc' },
      ),
    ).rejects.toThrow('may not test');
    expect(asked).toEqual([orgs['flow-one']]);
    await start({ org: 'flow-one' });
    expect(asked).toHaveLength(1);
  });

  it('binds the sign-in state to the browser and lets it be taken once', async () => {
    const context: LoginContext = { method: 'oidc' };
    const started = await start({ org: 'flow-one', returnTo: '/api/v1/me' }, context);
    expect(started).toMatchObject({ kind: 'redirect', protocol: 'oidc' });
    if (started.kind !== 'redirect') return;
    expect(started.binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const url = new URL(started.url);
    expect(url.origin).toBe(idp.issuer);
    expect(context).toMatchObject({ orgId: orgs['flow-one'], method: 'oidc' });
    expect(context.connectionId).toEqual(expect.any(String));
    const state = url.searchParams.get('state')!;
    const answer = (binding: string | undefined) =>
      completeOidcSignIn(
        f.ctx,
        client,
        { state, binding, currentUrl: new URL(`/auth/oidc/callback?state=${state}&code=x`, f.url), request },
        { method: 'oidc' },
      );
    // Another browser (wrong binding cookie): refused, and the state is gone with it.
    await expect(answer('someone-elses-binding')).rejects.toMatchObject({ reason: 'state_mismatch' });
    await expect(answer(started.binding!)).rejects.toMatchObject({ reason: 'state_mismatch' });
  });

  it('reports a refusal by its reason and anything else as unavailable, with one audit event each', async () => {
    const orgId = orgs['flow-one']!;
    const refused = await reportSignInFailure(
      f.ctx,
      lastOwnerError(),
      { method: 'saml', orgId },
      request.meta,
    );
    expect(refused).toMatchObject({ reason: 'last_owner', status: 409 });
    const broken = await reportSignInFailure(
      f.ctx,
      new Error('connection reset'),
      { method: 'oidc', orgId },
      { ...request.meta, requestId: 'req-broken' },
    );
    expect(broken).toMatchObject({ reason: 'internal_error', status: 503 });
    expect(broken.userMessage).not.toContain('connection reset');
    const failed = f.events.filter((e) => e.action === 'auth.login_failed' && e.orgId === orgId);
    expect(failed.map((e) => (e.details as { reason: string }).reason)).toEqual([
      'last_owner',
      'internal_error',
    ]);
    expect(failed[1]).toMatchObject({ requestId: 'req-broken', details: { method: 'oidc' } });
    // The log names the cause's message (for the operator), never more.
    expect(f.logs()).toContain('Error: connection reset');
  });
});
