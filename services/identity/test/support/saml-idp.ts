// A SAML IdP in the test process: builds Responses and really signs them with xml-crypto and
// a committed test key (test/fixtures). Each option breaks one thing for an attack test.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
export const IDP_KEY = readFileSync(path.join(FIXTURES, 'idp.key.pem'), 'utf8');
export const IDP_CERT = readFileSync(path.join(FIXTURES, 'idp.cert.pem'), 'utf8');
export const OTHER_KEY = readFileSync(path.join(FIXTURES, 'other-idp.key.pem'), 'utf8');
export const OTHER_CERT = readFileSync(path.join(FIXTURES, 'other-idp.cert.pem'), 'utf8');
export const IDP_ENTITY_ID = 'https://idp.test.airlock/saml';
export const IDP_SSO_URL = 'https://idp.test.airlock/saml/sso';

export interface ResponseOptions {
  inResponseTo: string;
  acs: string;
  audience: string;
  nameId: string;
  email: string;
  groups?: string[];
  issuer?: string;
  assertionId?: string;
  destination?: string;
  recipient?: string;
  /** Seconds relative to now. */
  notBefore?: number;
  notOnOrAfter?: number;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  key?: string;
  cert?: string;
}

const iso = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString();

export function assertionXml(o: ResponseOptions & { assertionId: string }): string {
  const issuer = o.issuer ?? IDP_ENTITY_ID;
  const notBefore = iso(o.notBefore ?? -30);
  const notOnOrAfter = iso(o.notOnOrAfter ?? 300);
  const groups = (o.groups ?? []).map((g) => `<saml:AttributeValue>${g}</saml:AttributeValue>`).join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.assertionId}" Version="2.0" IssueInstant="${iso(0)}">` +
    `<saml:Issuer>${issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${o.nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData InResponseTo="${o.inResponseTo}" NotOnOrAfter="${notOnOrAfter}" Recipient="${o.recipient ?? o.acs}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${o.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="_s${o.assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>` +
    `<saml:Attribute Name="email"><saml:AttributeValue>${o.email}</saml:AttributeValue></saml:Attribute>` +
    `<saml:Attribute Name="displayName"><saml:AttributeValue>Sam L</saml:AttributeValue></saml:Attribute>` +
    `<saml:Attribute Name="groups">${groups}</saml:Attribute>` +
    `</saml:AttributeStatement></saml:Assertion>`
  );
}

function sign(xml: string, target: 'Assertion' | 'Response', key: string, cert: string): string {
  const sig = new SignedXml({ privateKey: key, publicCert: cert });
  sig.addReference({
    xpath: `//*[local-name(.)='${target}']`,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.canonicalizationAlgorithm = 'http://www.w3.org/2001/10/xml-exc-c14n#';
  sig.signatureAlgorithm = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
  sig.computeSignature(xml, {
    location: { reference: `//*[local-name(.)='${target}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** A Response as XML text (base64 it to post). */
export function responseXml(o: ResponseOptions): string {
  const assertionId = o.assertionId ?? `_a${randomUUID().replaceAll('-', '')}`;
  const key = o.key ?? IDP_KEY;
  const cert = o.cert ?? IDP_CERT;
  const mode = o.sign ?? 'assertion';
  let assertion = assertionXml({ ...o, assertionId });
  if (mode === 'assertion' || mode === 'both') assertion = sign(assertion, 'Assertion', key, cert);
  const response =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="_r${randomUUID().replaceAll('-', '')}" Version="2.0" IssueInstant="${iso(0)}" Destination="${o.destination ?? o.acs}" InResponseTo="${o.inResponseTo}">` +
    `<saml:Issuer>${o.issuer ?? IDP_ENTITY_ID}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `${assertion}</samlp:Response>`;
  return mode === 'response' || mode === 'both' ? sign(response, 'Response', key, cert) : response;
}

export const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** The ID of the AuthnRequest in an HTTP-Redirect binding URL. */
export function authnRequestId(redirect: URL): string {
  const xml = inflateRawSync(Buffer.from(redirect.searchParams.get('SAMLRequest')!, 'base64')).toString(
    'utf8',
  );
  return /\sID="([^"]+)"/.exec(xml)![1]!;
}

/** The base64 body of a PEM certificate. */
export const certBody = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

export function idpMetadata(extra = ''): string {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/saml?a=1&amp;b=2">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>${certBody(IDP_CERT)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>${certBody(OTHER_CERT)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/redirect"/>
    ${extra}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}
