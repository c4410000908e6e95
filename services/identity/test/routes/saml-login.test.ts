import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSecretBox } from '@airlock/common';
import { startFixture, type Fixture } from '../fixture.js';
import { insertConnection } from '../../src/store/sso-connections.js';
import { acsUrl, spEntityId } from '../../src/domain/saml.js';
import {
  assertionXml,
  authnRequestId,
  b64,
  IDP_CERT,
  IDP_ENTITY_ID,
  IDP_SSO_URL,
  OTHER_CERT,
  OTHER_KEY,
  responseXml,
  type ResponseOptions,
} from '../support/saml-idp.js';

const SLUG = 'samlcorp';

describe('SAML sign-in (HTTP-POST binding, xml-crypto signed responses)', () => {
  let f: Fixture;
  let acs: string;
  let audience: string;

  beforeAll(async () => {
    f = await startFixture();
    const org = await f.org(SLUG);
    acs = acsUrl(f.ctx.config.AIRLOCK_PUBLIC_URL, SLUG);
    audience = spEntityId(f.ctx.config.AIRLOCK_PUBLIC_URL, SLUG);
    await insertConnection(f.ctx.db, createSecretBox(f.ctx.keyring), {
      orgId: org.id,
      protocol: 'saml',
      name: 'Test SAML IdP',
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
      groupRoleMap: { 'saml-admins': 'admin' },
      defaultRole: 'member',
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  /** Starts a sign-in and returns the AuthnRequest id and RelayState. */
  async function start() {
    const res = await request(f.app).get(`/auth/login?org=${SLUG}&returnTo=/api/v1/me`);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location as string);
    expect(location.origin + location.pathname).toBe(IDP_SSO_URL);
    return { requestId: authnRequestId(location), relayState: location.searchParams.get('RelayState')! };
  }

  function post(samlResponse: string, relayState = '') {
    return request(f.app)
      .post(`/auth/saml/${SLUG}/acs`)
      .type('form')
      .send({ SAMLResponse: samlResponse, RelayState: relayState });
  }

  async function attempt(
    overrides: Partial<ResponseOptions> = {},
    mutate: (xml: string) => string = (x) => x,
  ) {
    const { requestId, relayState } = await start();
    const xml = responseXml({
      inResponseTo: requestId,
      acs,
      audience,
      nameId: 'sam@samlcorp.example',
      email: 'sam@samlcorp.example',
      groups: ['saml-admins'],
      ...overrides,
    });
    return post(b64(mutate(xml)), relayState);
  }

  function expectRefused(res: request.Response, reason = 'idp_response_invalid') {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers['set-cookie']?.toString() ?? '').not.toMatch(/airlock_session=als_/);
    expect(res.text).toContain('Sign-in failed');
    const last = [...f.events].reverse().find((e) => e.action === 'auth.login_failed');
    expect(last?.details).toMatchObject({ method: 'saml', reason });
  }

  it('serves SP metadata with our entity id and ACS URL', async () => {
    const res = await request(f.app).get(`/auth/saml/${SLUG}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/samlmetadata\+xml/);
    expect(res.text).toContain(`entityID="${audience}"`);
    expect(res.text).toContain(`Location="${acs}"`);
    expect(res.text).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect((await request(f.app).get('/auth/saml/nobody/metadata')).status).toBe(404);
  });

  it('signs in with a signed assertion, JIT-provisions the user with the mapped role', async () => {
    const res = await attempt();
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/api/v1/me');
    const sessionCookie = String(res.headers['set-cookie']).match(/airlock_session=[^;]+/)![0];
    const me = await request(f.app).get('/api/v1/me').set('Cookie', sessionCookie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'admin', user: { email: 'sam@samlcorp.example', name: 'Sam L' } });
    expect(me.body.org.slug).toBe(SLUG);
  });

  it('accepts a response signed both outside and on the assertion', async () => {
    expect((await attempt({ sign: 'both' })).status).toBe(303);
  });

  it('refuses a response whose assertion is unsigned, even when the Response is signed', async () => {
    expectRefused(await attempt({ sign: 'response' }));
  });

  it('refuses an unsigned response', async () => {
    expectRefused(await attempt({ sign: 'none' }));
  });

  it('refuses a response signed by another key', async () => {
    expectRefused(await attempt({ key: OTHER_KEY, cert: OTHER_CERT }));
  });

  it('refuses XML signature wrapping: a second, unsigned assertion next to the signed one', async () => {
    const evil = assertionXml({
      assertionId: '_evil',
      inResponseTo: 'x',
      acs,
      audience,
      nameId: 'ceo@samlcorp.example',
      email: 'ceo@samlcorp.example',
      groups: ['saml-admins'],
    });
    expectRefused(await attempt({}, (xml) => xml.replace('<samlp:Status>', `${evil}<samlp:Status>`)));
    expect(await f.ctx.db.prisma.user.findFirst({ where: { email: 'ceo@samlcorp.example' } })).toBeNull();
  });

  it('refuses a replayed assertion', async () => {
    const { requestId, relayState } = await start();
    const xml = responseXml({
      inResponseTo: requestId,
      acs,
      audience,
      nameId: 'r@samlcorp.example',
      email: 'r@samlcorp.example',
    });
    expect((await post(b64(xml), relayState)).status).toBe(303);
    expectRefused(await post(b64(xml), relayState));
  });

  it('refuses an assertion id seen before even under a fresh request id (replay cache)', async () => {
    const assertionId = `_fixed${Date.now()}`;
    expect((await attempt({ assertionId })).status).toBe(303);
    expectRefused(await attempt({ assertionId }), 'assertion_replayed');
  });

  it('refuses the wrong audience', async () => {
    expectRefused(await attempt({ audience: 'https://other-sp.example/metadata' }));
  });

  it('refuses the wrong recipient and the wrong destination', async () => {
    expectRefused(await attempt({ recipient: 'https://evil.example/acs' }));
    expectRefused(await attempt({ destination: 'https://evil.example/acs' }));
  });

  it('refuses an expired assertion and a not-yet-valid one (beyond the clock skew)', async () => {
    expectRefused(await attempt({ notBefore: -900, notOnOrAfter: -300 }));
    expectRefused(await attempt({ notBefore: 600, notOnOrAfter: 900 }));
  });

  it('refuses an InResponseTo that does not match a request we sent', async () => {
    expectRefused(await attempt({ inResponseTo: '_not-our-request' }));
  });

  it('refuses another IdP issuer even when signed with the right key', async () => {
    expectRefused(await attempt({ issuer: 'https://evil-idp.example' }));
  });

  it('refuses a response posted with the RelayState of another sign-in', async () => {
    const a = await start();
    const b = await start();
    const xml = responseXml({
      inResponseTo: a.requestId,
      acs,
      audience,
      nameId: 'x@samlcorp.example',
      email: 'x@samlcorp.example',
    });
    expectRefused(await post(b64(xml), b.relayState), 'state_mismatch');
  });

  it('links an existing account by email only when the org has claimed the email’s domain', async () => {
    const email = 'existing@samlcorp.example';
    const existing = await f.ctx.db.prisma.user.create({ data: { email } });
    // Unclaimed (the org allows every domain): SAML has no email_verified, so no link.
    // Issue 12 (squatting): this was refused (`unverified_email_link`); an org claiming no
    // domains now gets its own account that does not hold the email, never the existing one.
    const unclaimed = await attempt({ nameId: 'unclaimed-subject', email });
    expect(unclaimed.status).toBe(303);
    expect(await f.ctx.db.system.ssoIdentity.count({ where: { userId: existing.id } })).toBe(0);
    const own = await f.ctx.db.prisma.user.findMany({ where: { email, holdsEmail: false } });
    expect(own).toHaveLength(1);
    const org = await f.ctx.db.system.org.findUniqueOrThrow({ where: { slug: SLUG } });
    await f.ctx.db.system.org.update({
      where: { id: org.id },
      data: { allowedEmailDomains: ['samlcorp.example'] },
    });
    try {
      const claimed = await attempt({ nameId: 'existing-subject', email });
      expect(claimed.status).toBe(303);
      expect(await f.ctx.db.system.ssoIdentity.count({ where: { userId: existing.id } })).toBe(1);
      expect(
        f.events.find((e) => e.action === 'identity.linked' && e.target?.id === existing.id),
      ).toMatchObject({
        details: { protocol: 'saml', by: 'verified_email' },
      });
    } finally {
      await f.ctx.db.system.org.update({ where: { id: org.id }, data: { allowedEmailDomains: [] } });
    }
  });

  it('refuses XML with a DOCTYPE or entity declarations', async () => {
    const res = await attempt({}, (xml) =>
      xml.replace('<samlp:Response', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response'),
    );
    expectRefused(res);
  });
});

describe('SAML sign-in on https binds the response to the browser that started it', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture({ publicUrl: 'https://airlock.example.com' });
    const org = await f.org(SLUG);
    await insertConnection(f.ctx.db, createSecretBox(f.ctx.keyring), {
      orgId: org.id,
      protocol: 'saml',
      name: 'Test SAML IdP',
      config: {
        idpEntityId: IDP_ENTITY_ID,
        idpSsoUrl: IDP_SSO_URL,
        idpCertificates: [IDP_CERT],
        emailAttribute: 'email',
      },
      secret: null,
      groupRoleMap: {},
      defaultRole: 'member',
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  async function signedResponse() {
    const res = await request(f.app).get(`/auth/login?org=${SLUG}`);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/__Host-airlock_saml_binding=[^;]+;.*Secure/);
    expect(setCookie).toMatch(/SameSite=None/);
    const binding = /__Host-airlock_saml_binding=([^;]+)/.exec(setCookie)![1]!;
    const location = new URL(res.headers.location as string);
    const xml = responseXml({
      inResponseTo: authnRequestId(location),
      acs: acsUrl(f.ctx.config.AIRLOCK_PUBLIC_URL, SLUG),
      audience: spEntityId(f.ctx.config.AIRLOCK_PUBLIC_URL, SLUG),
      nameId: 'b@samlcorp.example',
      email: 'b@samlcorp.example',
    });
    return { samlResponse: b64(xml), relayState: location.searchParams.get('RelayState')!, binding };
  }

  it('refuses the response in a browser without the binding cookie (login CSRF)', async () => {
    const { samlResponse, relayState } = await signedResponse();
    const res = await request(f.app)
      .post(`/auth/saml/${SLUG}/acs`)
      .type('form')
      .send({ SAMLResponse: samlResponse, RelayState: relayState });
    expect(res.status).toBe(400);
    expect(res.text).toContain('was not started in this browser');
  });

  it('accepts it in the browser that holds the cookie', async () => {
    const { samlResponse, relayState, binding } = await signedResponse();
    const res = await request(f.app)
      .post(`/auth/saml/${SLUG}/acs`)
      .set('Cookie', `__Host-airlock_saml_binding=${binding}`)
      .type('form')
      .send({ SAMLResponse: samlResponse, RelayState: relayState });
    expect(res.status).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/__Host-airlock_session=als_/);
  });
});
