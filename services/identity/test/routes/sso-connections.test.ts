import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createSecretBox, SecretBoxError } from '@airlock/common';
import { cookie, startFixture, type Fixture } from '../fixture.js';
import { openSecret } from '../../src/store/sso-connections.js';
import { createServer } from 'node:http';
import { IDP_CERT, idpMetadata } from '../support/saml-idp.js';

const SECRET = 'super-secret-client-secret-value-42';
const oidcBody = (name = 'Okta') => ({
  protocol: 'oidc',
  name,
  config: { issuer: 'https://acme.okta.example/oauth2/default', clientId: 'abc123', groupsClaim: 'groups' },
  clientSecret: SECRET,
  groupRoleMap: { 'Airlock Admins': 'admin' },
});

describe('SSO connections API', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  // SSO connections decide roles at sign-in: only owners configure them.
  async function adminOf(orgId: string, role: 'owner' | 'admin' | 'member' = 'owner') {
    return cookie(await (await f.user(orgId, role)).session());
  }

  it('creates, reads, updates and deletes a connection, never returning the secret', async () => {
    const org = await f.org();
    const admin = await adminOf(org.id);
    const created = await request(f.app)
      .post('/api/v1/sso/connections')
      .set('Cookie', admin)
      .send(oidcBody());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      protocol: 'oidc',
      name: 'Okta',
      hasSecret: true,
      defaultRole: 'member',
    });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    expect(created.body).not.toHaveProperty('secretEnc');
    const id = created.body.id as string;

    const list = await request(f.app).get('/api/v1/sso/connections').set('Cookie', admin);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([id]);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);

    const patched = await request(f.app)
      .patch(`/api/v1/sso/connections/${id}`)
      .set('Cookie', admin)
      .send({ defaultRole: 'viewer', clientSecret: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ defaultRole: 'viewer', hasSecret: false });

    expect((await request(f.app).delete(`/api/v1/sso/connections/${id}`).set('Cookie', admin)).status).toBe(
      204,
    );
    expect((await request(f.app).get(`/api/v1/sso/connections/${id}`).set('Cookie', admin)).status).toBe(404);
    for (const action of ['sso.created', 'sso.updated', 'sso.deleted']) {
      expect(f.events.some((e) => e.action === action && e.target?.id === id)).toBe(true);
    }
  });

  it('seals the client secret bound to its row: a ciphertext copied to another row does not open', async () => {
    const org = await f.org();
    const admin = await adminOf(org.id, 'owner');
    const a = (await request(f.app).post('/api/v1/sso/connections').set('Cookie', admin).send(oidcBody('A')))
      .body;
    const b = (
      await request(f.app)
        .post('/api/v1/sso/connections')
        .set('Cookie', admin)
        .send({ ...oidcBody('B'), clientSecret: undefined })
    ).body;
    const rowA = await f.ctx.db.system.ssoConnection.findUnique({ where: { id: a.id } });
    expect(rowA!.secretEnc).not.toContain(SECRET);
    const box = createSecretBox(f.ctx.keyring);
    expect(openSecret(box, rowA!)).toBe(SECRET);
    expect(() => openSecret(box, { id: b.id, secretEnc: rowA!.secretEnc })).toThrow(SecretBoxError);
  });

  it('refuses members, and hides other orgs’ connections', async () => {
    const a = await f.org();
    const b = await f.org();
    const member = await adminOf(a.id, 'member');
    expect((await request(f.app).get('/api/v1/sso/connections').set('Cookie', member)).status).toBe(403);
    expect(
      (await request(f.app).post('/api/v1/sso/connections').set('Cookie', member).send(oidcBody())).status,
    ).toBe(403);
    // An admin could map its own group to owner, or point a connection at an IdP it runs.
    const admin = await adminOf(a.id, 'admin');
    expect((await request(f.app).get('/api/v1/sso/connections').set('Cookie', admin)).status).toBe(200);
    expect(
      (await request(f.app).post('/api/v1/sso/connections').set('Cookie', admin).send(oidcBody('mine')))
        .status,
    ).toBe(403);
    const adminB = await adminOf(b.id);
    const inB = (await request(f.app).post('/api/v1/sso/connections').set('Cookie', adminB).send(oidcBody()))
      .body;
    const adminA = await adminOf(a.id);
    expect((await request(f.app).get(`/api/v1/sso/connections/${inB.id}`).set('Cookie', adminA)).status).toBe(
      404,
    );
    expect(
      (
        await request(f.app)
          .patch(`/api/v1/sso/connections/${inB.id}`)
          .set('Cookie', adminA)
          .send({ enabled: false })
      ).status,
    ).toBe(404);
    expect(
      (await request(f.app).delete(`/api/v1/sso/connections/${inB.id}`).set('Cookie', adminA)).status,
    ).toBe(404);
    expect((await request(f.app).get('/api/v1/sso/connections').set('Cookie', adminA)).body.data).toEqual([]);
  });

  it('validates input: http or metadata issuers, unknown fields, bad roles, duplicate names', async () => {
    const org = await f.org();
    const admin = await adminOf(org.id);
    const post = (body: object) =>
      request(f.app).post('/api/v1/sso/connections').set('Cookie', admin).send(body);
    const base = oidcBody();
    expect((await post({ ...base, config: { ...base.config, issuer: 'http://idp.example' } })).status).toBe(
      400,
    );
    expect(
      (await post({ ...base, config: { ...base.config, issuer: 'https://169.254.169.254/' } })).status,
    ).toBe(400);
    expect((await post({ ...base, config: { ...base.config, extra: true } })).status).toBe(400);
    expect((await post({ ...base, groupRoleMap: { x: 'superuser' } })).status).toBe(400);
    expect((await post({ ...base, protocol: 'kerberos' })).status).toBe(400);
    expect((await post(base)).status).toBe(201);
    const dup = await post(base);
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('name_taken');
  });

  it('creates a SAML connection from entity id, SSO URL and certificate, and validates them', async () => {
    const org = await f.org();
    const admin = await adminOf(org.id);
    const body = {
      protocol: 'saml',
      name: 'ADFS',
      config: {
        idpEntityId: 'http://adfs.example/adfs/services/trust',
        idpSsoUrl: 'https://adfs.example/adfs/ls/',
        idpCertificates: [IDP_CERT],
      },
    };
    const created = await request(f.app).post('/api/v1/sso/connections').set('Cookie', admin).send(body);
    expect(created.status).toBe(201);
    expect(created.body.config.groupsAttribute).toBe('groups');
    expect(created.body.hasSecret).toBe(false);
    const bad = await request(f.app)
      .post('/api/v1/sso/connections')
      .set('Cookie', admin)
      .send({ ...body, name: 'bad', config: { ...body.config, idpCertificates: ['not a cert'] } });
    expect(bad.status).toBe(400);
    const patch = await request(f.app)
      .patch(`/api/v1/sso/connections/${created.body.id}`)
      .set('Cookie', admin)
      .send({ config: { issuer: 'https://x.example', clientId: 'y' } });
    expect(patch.status).toBe(400);
  });

  it('configures SAML from IdP metadata, pasted or fetched from a URL', async () => {
    const org = await f.org();
    const admin = await adminOf(org.id);
    const fromXml = await request(f.app)
      .post('/api/v1/sso/connections')
      .set('Cookie', admin)
      .send({
        protocol: 'saml',
        name: 'from xml',
        config: { metadataXml: idpMetadata(), groupsAttribute: 'memberOf' },
      });
    expect(fromXml.status).toBe(201);
    expect(fromXml.body.config).toMatchObject({
      idpEntityId: 'https://idp.example/saml?a=1&b=2',
      idpSsoUrl: 'https://idp.example/redirect',
      groupsAttribute: 'memberOf',
    });
    expect(fromXml.body.config).not.toHaveProperty('metadataXml');

    // https only (this fixture does not allow http issuers), so a plain-http URL is refused…
    const server = createServer((_req, res) => res.end(idpMetadata()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metadata`;
      const refused = await request(f.app)
        .post('/api/v1/sso/connections')
        .set('Cookie', admin)
        .send({ protocol: 'saml', name: 'from url', config: { metadataUrl: url } });
      expect(refused.status).toBe(400);
    } finally {
      server.close();
    }
    const doctype = await request(f.app)
      .post('/api/v1/sso/connections')
      .set('Cookie', admin)
      .send({ protocol: 'saml', name: 'evil', config: { metadataXml: `<!DOCTYPE x>${idpMetadata()}` } });
    expect(doctype.status).toBe(400);
  });
});

describe('SAML metadata URL where http issuers are allowed (development IdPs)', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ settings: { AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('fetches metadata over http, as OIDC issuers are, and still refuses metadata addresses', async () => {
    const org = await f.org();
    const owner = cookie(await (await f.user(org.id, 'owner')).session());
    const server = createServer((_req, res) => res.end(idpMetadata()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metadata`;
      const created = await request(f.app)
        .post('/api/v1/sso/connections')
        .set('Cookie', owner)
        .send({ protocol: 'saml', name: 'dev idp', config: { metadataUrl: url } });
      expect(created.status).toBe(201);
      expect(created.body.config).toMatchObject({ idpSsoUrl: 'https://idp.example/redirect' });
      expect(created.body.config).not.toHaveProperty('metadataUrl');
    } finally {
      server.close();
    }
    const metadata = await request(f.app)
      .post('/api/v1/sso/connections')
      .set('Cookie', owner)
      .send({ protocol: 'saml', name: 'imds', config: { metadataUrl: 'http://169.254.169.254/latest' } });
    expect(metadata.status).toBe(400);
    expect(metadata.body.error.code).toBe('validation_failed');
    expect(metadata.body.error.details).toEqual({
      problems: [{ path: '$.config.metadata', message: expect.stringContaining('metadata address') }],
    });
  });
});
