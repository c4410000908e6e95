import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startFixture, type Fixture } from '../fixture.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { callbackUrl } from '../../src/domain/oidc.js';
import { PAGE_CSP } from '../../src/routes/pages/error-page.js';

describe('sign-in chooser and the distinct "cannot sign in here" answers', () => {
  let f: Fixture;
  let idp: OidcIdp;
  const ids: Record<string, string> = {};

  async function oidcConnection(orgId: string, name: string, enabled = true) {
    const row = await connectOidcIdp(f.ctx.db, f.ctx.keyring, idp, {
      orgId,
      name,
      enabled,
      config: { scopes: ['openid', 'email'] },
    });
    return row.id;
  }

  beforeAll(async () => {
    f = await startFixture({ listen: true, settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
    idp = await startOidcIdp(callbackUrl(f.url));
    const multi = await f.org('chooser-multi');
    ids.okta = await oidcConnection(multi.id, 'Okta <staff>');
    ids.entra = await oidcConnection(multi.id, 'Entra contractors');
    ids.off = await oidcConnection(multi.id, 'Retired IdP', false);
    await f.org('chooser-none');
    const suspended = await f.org('chooser-suspended');
    await oidcConnection(suspended.id, 'Okta');
    await f.ctx.db.system.org.update({ where: { id: suspended.id }, data: { status: 'suspended' } });
  });
  afterAll(async () => {
    await idp?.close();
    await f?.close();
  });

  it('lists the enabled connections by name (escaped, no script) and each link starts that sign-in', async () => {
    const page = await request(f.app).get('/auth/login?org=chooser-multi&returnTo=/api/v1/me');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(page.text).not.toMatch(/<script|<style|style=/i);
    expect(page.text).toContain('Okta &lt;staff&gt;');
    expect(page.text).toContain('Entra contractors');
    expect(page.text).not.toContain('Retired IdP');
    expect(page.text).not.toContain(idp.issuer);
    const links = [...page.text.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    const okta = links.find((l) => l.includes(ids.okta!));
    expect(okta).toBe(`/auth/login?org=chooser-multi&connection=${ids.okta}&returnTo=%2Fapi%2Fv1%2Fme`);
    expect(links.some((l) => l.includes(ids.off!))).toBe(false);

    const start = await request(f.app).get(okta!);
    expect(start.status).toBe(303);
    expect(new URL(start.headers.location!).origin).toBe(new URL(idp.issuer).origin);
    expect(new URL(start.headers.location!).searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('answers JSON clients with the same list', async () => {
    const res = await request(f.app).get('/auth/login?org=chooser-multi').set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.body.connections.map((c: { name: string }) => c.name)).toEqual([
      'Entra contractors',
      'Okta <staff>',
    ]);
    expect(JSON.stringify(res.body)).not.toContain(idp.issuer);
  });

  it('refuses a disabled or foreign connection id named in the link', async () => {
    const res = await request(f.app).get(`/auth/login?org=chooser-multi&connection=${ids.off}`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('This sign-in option is not available');
  });

  it.each([
    ['chooser-nope', 404, 'not_found', 'unknown_org', 'does not exist'],
    ['chooser-suspended', 403, 'forbidden', 'org_suspended', 'suspended'],
    ['chooser-none', 404, 'not_found', 'no_connection', 'Single sign-on is not set up'],
  ])(
    'org %s answers %i (code %s, details.reason %s) on JSON and a clear page on HTML',
    async (slug, status, code, reason, text) => {
      const json = await request(f.app).get(`/auth/login?org=${slug}`).set('Accept', 'application/json');
      expect(json.status).toBe(status);
      expect(json.body.error).toMatchObject({ code, details: { reason } });
      const html = await request(f.app).get(`/auth/login?org=${slug}`).set('Accept', 'text/html');
      expect(html.status).toBe(status);
      expect(html.text).toContain(text);
    },
  );

  it('gives the IdP-initiated (SAML ACS) path the same distinct answers', async () => {
    const suspended = await request(f.app)
      .post('/auth/saml/chooser-suspended/acs')
      .set('Accept', 'application/json')
      .type('form')
      .send({ SAMLResponse: 'x' });
    expect(suspended.status).toBe(403);
    expect(suspended.body.error.details).toEqual({ reason: 'org_suspended' });
    const unknown = await request(f.app)
      .post('/auth/saml/chooser-nope/acs')
      .set('Accept', 'application/json')
      .type('form')
      .send({ SAMLResponse: 'x' });
    expect(unknown.body.error.details).toEqual({ reason: 'unknown_org' });
    const none = await request(f.app)
      .post('/auth/saml/chooser-none/acs')
      .type('form')
      .send({ SAMLResponse: 'x' });
    expect(none.status).toBe(404);
    expect(none.text).toContain('Single sign-on is not set up');
  });
});
