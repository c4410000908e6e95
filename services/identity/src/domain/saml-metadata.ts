// Reads what a SAML connection needs from the IdP's metadata (XML pasted by the admin, or
// fetched from a URL): entityID, the HTTP-Redirect SingleSignOnService location, and the
// signing certificates. Deliberately narrow: no DTDs, one EntityDescriptor, and only these
// three things are taken; everything else in the document is ignored.
import { isDestinationRefused, validationFailed } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { checkIssuerUrl, idpFetch } from './outbound.js';

const MAX_METADATA_BYTES = 512 * 1024;
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface IdpMetadata {
  idpEntityId: string;
  idpSsoUrl: string;
  idpCertificates: string[];
}

const invalid = (message: string) =>
  validationFailed([{ path: '$.config.metadata', message }], `IdP metadata: ${message}`);

function attr(tag: string, name: string): string | undefined {
  const m =
    new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag) ??
    new RegExp(`\\s${name}\\s*=\\s*'([^']*)'`).exec(tag);
  return m?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

export function parseIdpMetadata(xml: string): IdpMetadata {
  if (xml.length > MAX_METADATA_BYTES) throw invalid('document is too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid('DOCTYPE and entity declarations are not accepted');
  const entities = xml.match(/<(?:\w+:)?EntityDescriptor\b[^>]*>/g) ?? [];
  if (entities.length !== 1) throw invalid('expected exactly one EntityDescriptor');
  const idpEntityId = attr(entities[0]!, 'entityID');
  if (!idpEntityId) throw invalid('EntityDescriptor has no entityID');
  const idp = /<(?:\w+:)?IDPSSODescriptor\b[\s\S]*?<\/(?:\w+:)?IDPSSODescriptor>/.exec(xml)?.[0];
  if (!idp) throw invalid('no IDPSSODescriptor');
  const sso = (idp.match(/<(?:\w+:)?SingleSignOnService\b[^>]*>/g) ?? []).find(
    (tag) => attr(tag, 'Binding') === REDIRECT_BINDING,
  );
  const idpSsoUrl = sso ? attr(sso, 'Location') : undefined;
  if (!idpSsoUrl) throw invalid('no SingleSignOnService with the HTTP-Redirect binding');
  const certificates: string[] = [];
  for (const key of idp.match(/<(?:\w+:)?KeyDescriptor\b[\s\S]*?<\/(?:\w+:)?KeyDescriptor>/g) ?? []) {
    const open = /<(?:\w+:)?KeyDescriptor\b[^>]*>/.exec(key)![0];
    const use = attr(open, 'use');
    if (use !== undefined && use !== 'signing') continue; // encryption keys do not verify signatures
    for (const cert of key.match(/<(?:\w+:)?X509Certificate>([\s\S]*?)<\/(?:\w+:)?X509Certificate>/g) ?? []) {
      certificates.push(cert.replace(/<[^>]+>/g, '').replace(/\s+/g, ''));
    }
  }
  if (certificates.length === 0) throw invalid('no signing certificate');
  return { idpEntityId, idpSsoUrl, idpCertificates: [...new Set(certificates)].slice(0, 5) };
}

/** The body as text, refused as soon as it passes `max` bytes (chunked bodies state no length). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error('too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Fetches metadata from the IdP (https, or http where allowed; same outbound rules as OIDC issuers), bounded in time and size. */
export async function fetchIdpMetadata(
  ctx: Pick<IdentityContext, 'settings' | 'config'>,
  url: string,
): Promise<IdpMetadata> {
  try {
    checkIssuerUrl(url, ctx);
  } catch {
    throw invalid(
      'metadata URL must be https (http only where AIRLOCK_SSO_ALLOW_HTTP_ISSUERS allows) and not a loopback, link-local or metadata address',
    );
  }
  let text: string;
  try {
    // Through the outbound guard: the address dialled (after DNS) is what is checked.
    const res = await idpFetch(ctx)(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MAX_METADATA_BYTES) throw new Error('too large');
    text = await readCapped(res, MAX_METADATA_BYTES);
  } catch (e) {
    if (isDestinationRefused(e)) {
      // A name that resolved to a refused address, or a redirect to one.
      throw validationFailed(
        [{ path: '$.config.metadataUrl', message: 'destination refused' }],
        'IdP metadata URL leads to a refused address',
        { cause: e },
      );
    }
    throw validationFailed(
      [{ path: '$.config.metadataUrl', message: 'could not be fetched' }],
      'IdP metadata could not be fetched',
      { cause: e },
    );
  }
  return parseIdpMetadata(text);
}
