import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSecretBox } from '@airlock/common';
import { freePort } from '@airlock/common/testing';
import { cookie, startFixture, type Fixture, type TestUser } from '../fixture.js';
import { Browser } from '../support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { acsUrl, spEntityId } from '../../src/domain/saml.js';
import { callbackUrl } from '../../src/domain/oidc.js';
import { insertConnection } from '../../src/store/sso-connections.js';
import {
  authnRequestId,
  b64,
  IDP_CERT,
  IDP_ENTITY_ID,
  IDP_SSO_URL,
  OTHER_KEY,
  responseXml,
} from '../support/saml-idp.js';

const SECRET_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash', 'access_token', 'id_token', 'attributes'];

describe('SSO test sign-in (no session, no membership; a report read once)', () => {
  let f: Fixture;
  let idp: OidcIdp;
  let org: { id: string; slug: string };
  let oidcId: string;
  let samlId: string;
  let admin: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    org = await f.org('testco', ['testco.example']);
    const box = createSecretBox(f.ctx.keyring);
    oidcId = (
      await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, {
        orgId: org.id,
        name: 'OIDC (not enabled yet)',
        enabled: false,
        config: {
          scopes: ['openid', 'email', 'profile', 'groups'],
          groupsClaim: 'groups',
          requireMappedGroup: true,
        },
        groupRoleMap: { 'tc-admins': 'admin' },
      })
    ).id;
    samlId = (
      await insertConnection(f.ctx.db, box, {
        orgId: org.id,
        protocol: 'saml',
        name: 'SAML',
        config: {
          idpEntityId: IDP_ENTITY_ID,
          idpSsoUrl: IDP_SSO_URL,
          idpCertificates: [IDP_CERT],
          emailAttribute: 'email',
          nameAttribute: 'displayName',
          groupsAttribute: 'groups',
          wantResponseSigned: false,
          requireMappedGroup: false,
        },
        secret: null,
        groupRoleMap: { 'saml-owners': 'owner' },
        defaultRole: 'viewer',
      })
    ).id;
    [admin, member] = [await f.user(org.id, 'admin'), await f.user(org.id, 'member')];
  }, 30_000); // a database clone, the app listening and an OIDC IdP: seconds on a loaded machine
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  }, 30_000);

  const startUrl = (id: string) =>
    `${f.url}/auth/login?org=testco&connection=${id}&test=1&returnTo=/console/sso`;

  async function browserFor(user: TestUser): Promise<{ browser: Browser; session: string }> {
    const browser = new Browser();
    const session = await user.session();
    browser.cookies(f.url).set('airlock_session', session);
    return { browser, session };
  }

  const result = (session: string, id: string) =>
    request(f.app).get(`/api/v1/sso/connections/${id}/test-result`).set('Cookie', cookie(session));

  async function nobodyProvisioned(email: string) {
    expect(await f.ctx.db.system.user.findFirst({ where: { email } })).toBeNull();
    expect(
      await f.ctx.db.system.ssoIdentity.count({ where: { connectionId: { in: [oidcId, samlId] } } }),
    ).toBe(0);
  }

  it('runs the OIDC round trip on a disabled connection and reports claims, groups and role, once', async () => {
    const { browser, session } = await browserFor(admin);
    idp.signInAs({
      sub: 'tess-sub',
      email: 'tess@testco.example',
      name: 'Tess Tester',
      groups: ['tc-admins', 'other'],
    });
    const page = await browser.get(startUrl(oidcId));
    expect(page.url).toBe(`${f.url}/console/sso`);
    expect(browser.cookies(f.url).get('airlock_session')).toBe(session); // no new session
    await nobodyProvisioned('tess@testco.example');
    expect(f.events.some((e) => e.action === 'auth.login')).toBe(false);

    const res = await result(session, oidcId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      connectionId: oidcId,
      protocol: 'oidc',
      outcome: 'success',
      subject: 'tess-sub',
      email: 'tess@testco.example',
      name: 'Tess Tester',
      groups: ['tc-admins', 'other'],
      role: 'admin',
      reason: null,
    });
    expect(res.body.claims).toMatchObject({
      sub: 'tess-sub',
      email: 'tess@testco.example',
      iss: idp.issuer,
      groups: ['tc-admins', 'other'],
    });
    for (const k of SECRET_CLAIMS) expect(res.body.claims).not.toHaveProperty(k);
    expect(Date.parse(res.body.testedAt)).not.toBeNaN();
    expect((await result(session, oidcId)).status).toBe(404); // read once
  });

  it('reports that an unmapped user would be refused, with the role null', async () => {
    const { browser, session } = await browserFor(admin);
    idp.signInAs({ sub: 'nog-sub', email: 'nog@testco.example', name: 'No Group', groups: [] });
    await browser.get(startUrl(oidcId));
    const res = await result(session, oidcId);
    expect(res.body).toMatchObject({ outcome: 'failure', role: null, reason: 'no_mapped_group', groups: [] });
    await nobodyProvisioned('nog@testco.example');
  });

  it('reports a round trip that fails verification, with its reason', async () => {
    const { browser, session } = await browserFor(admin);
    idp.signInAs({ sub: 'x-sub', email: 'x@testco.example', name: 'X', groups: ['tc-admins'] });
    const stop = await browser.get(startUrl(oidcId), { stopBefore: `${f.url}/auth/oidc/callback` });
    const callback = new URL(stop.headers.get('location')!);
    callback.searchParams.set('code', 'forged-code');
    const page = await browser.get(callback.toString());
    expect(page.status).toBeGreaterThanOrEqual(400);
    const res = await result(session, oidcId);
    expect(res.body).toMatchObject({
      outcome: 'failure',
      reason: 'idp_response_invalid',
      claims: {},
      role: null,
    });
  });

  it('reports an IdP that cannot be reached when the test starts', async () => {
    const port = await freePort();
    const dead = await insertConnection(f.ctx.db, createSecretBox(f.ctx.keyring), {
      orgId: org.id,
      protocol: 'oidc',
      name: 'Unreachable IdP',
      enabled: false,
      config: {
        issuer: `http://127.0.0.1:${port}`,
        clientId: 'c',
        scopes: ['openid'],
        groupsClaim: 'groups',
      },
      secret: null,
      groupRoleMap: {},
      defaultRole: 'member',
    });
    const { browser, session } = await browserFor(admin);
    const page = await browser.get(startUrl(dead.id), { maxHops: 1 });
    expect(page.status).toBeGreaterThanOrEqual(400);
    const res = await result(session, dead.id);
    expect(res.body).toMatchObject({
      connectionId: dead.id,
      outcome: 'failure',
      reason: 'idp_response_invalid',
    });
  });

  it('keeps one admin’s report from another admin', async () => {
    const { browser, session } = await browserFor(admin);
    idp.signInAs({ sub: 'tess-sub', email: 'tess@testco.example', name: 'Tess', groups: ['tc-admins'] });
    await browser.get(startUrl(oidcId));
    const other = await f.user(org.id, 'owner');
    expect((await result(await other.session(), oidcId)).status).toBe(404);
    expect((await result(session, oidcId)).status).toBe(200);
  });

  it('refuses a test start without a session or from a member, and signs nobody in', async () => {
    const anonymous = await new Browser().get(startUrl(oidcId), { maxHops: 1 });
    expect(anonymous.status).toBe(401);
    const { browser } = await browserFor(member);
    const refused = await browser.get(startUrl(oidcId), { maxHops: 1 });
    expect(refused.status).toBe(403);
    const res = await request(f.app)
      .get(`/api/v1/sso/connections/${oidcId}/test-result`)
      .set('Cookie', cookie(await member.session()));
    expect(res.status).toBe(403);
  });

  it('hands out the start URL from POST /api/v1/sso/connections/:id/test', async () => {
    const res = await request(f.app)
      .post(`/api/v1/sso/connections/${samlId}/test`)
      .set('Cookie', cookie(await admin.session()))
      .send({ returnTo: '/console/sso' });
    expect(res.status).toBe(200);
    const url = new URL(res.body.url);
    expect(url.pathname).toBe('/auth/login');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      org: 'testco',
      connection: samlId,
      test: '1',
      returnTo: '/console/sso',
    });
    const missing = await request(f.app)
      .post('/api/v1/sso/connections/00000000-0000-4000-8000-000000000000/test')
      .set('Cookie', cookie(await admin.session()));
    expect(missing.status).toBe(404);
  });

  describe('SAML', () => {
    const acs = () => acsUrl(f.ctx.config.AIRLOCK_PUBLIC_URL, 'testco');
    const audience = () => spEntityId(f.ctx.config.AIRLOCK_PUBLIC_URL, 'testco');

    async function samlTest(session: string, sign?: { key: string }) {
      const start = await request(f.app)
        .get(`/auth/login?org=testco&connection=${samlId}&test=1&returnTo=/console/sso`)
        .set('Cookie', cookie(session));
      expect(start.status).toBe(303);
      const location = new URL(start.headers.location as string);
      const xml = responseXml({
        inResponseTo: authnRequestId(location),
        acs: acs(),
        audience: audience(),
        nameId: 'sam@testco.example',
        email: 'sam@testco.example',
        groups: ['saml-owners'],
        ...(sign ? { key: sign.key } : {}),
      });
      return request(f.app)
        .post('/auth/saml/testco/acs')
        .type('form')
        .send({ SAMLResponse: b64(xml), RelayState: location.searchParams.get('RelayState')! });
    }

    it('runs the SAML round trip and reports the attributes and the mapped role, without a session', async () => {
      const session = await admin.session();
      const res = await samlTest(session);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/console/sso');
      expect(String(res.headers['set-cookie'] ?? '')).not.toMatch(/airlock_session=/);
      await nobodyProvisioned('sam@testco.example');
      const report = await result(session, samlId);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({
        protocol: 'saml',
        outcome: 'success',
        subject: 'sam@testco.example',
        email: 'sam@testco.example',
        groups: ['saml-owners'],
        role: 'owner',
      });
      expect(report.body.claims).toMatchObject({ nameID: 'sam@testco.example', email: 'sam@testco.example' });
      for (const k of SECRET_CLAIMS) expect(report.body.claims).not.toHaveProperty(k);
      expect(JSON.stringify(report.body)).not.toMatch(/<saml|Signature/);
    });

    it('lets the platform admin test an org’s connection and read the report on the platform path', async () => {
      const platform = await f.user(null, 'member', { isPlatformAdmin: true });
      const session = await platform.session();
      expect((await samlTest(session)).status).toBe(303);
      expect((await result(session, samlId)).status).toBe(403); // no org of its own
      const report = await request(f.app)
        .get(`/api/v1/sso/orgs/${org.id}/connections/${samlId}/test-result`)
        .set('Cookie', cookie(session));
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ protocol: 'saml', outcome: 'success', role: 'owner' });
      const notPlatform = await request(f.app)
        .get(`/api/v1/sso/orgs/${org.id}/connections/${samlId}/test-result`)
        .set('Cookie', cookie(await admin.session()));
      expect(notPlatform.status).toBe(403);
    });

    it('reports a response signed by the wrong key as a failure', async () => {
      const session = await admin.session();
      const res = await samlTest(session, { key: OTHER_KEY });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const report = await result(session, samlId);
      expect(report.body).toMatchObject({
        protocol: 'saml',
        outcome: 'failure',
        reason: 'idp_response_invalid',
      });
    });
  });
});
