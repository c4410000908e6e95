import { describe, expect, it } from '@jest/globals';
import { parseIdpMetadata } from '../../src/domain/saml-metadata.js';
import { createServer } from 'node:http';
import { identityConfig } from '../../src/config.js';
import { fetchIdpMetadata } from '../../src/domain/saml-metadata.js';
import { certBody as body, IDP_CERT, idpMetadata } from '../support/saml-idp.js';

describe('IdP metadata', () => {
  it('reads the entity id, the HTTP-Redirect SSO URL and only the signing certificates', () => {
    expect(parseIdpMetadata(idpMetadata())).toEqual({
      idpEntityId: 'https://idp.example/saml?a=1&b=2',
      idpSsoUrl: 'https://idp.example/redirect',
      idpCertificates: [body(IDP_CERT)],
    });
  });

  it('refuses DOCTYPEs, several entities, and metadata without a redirect binding or a certificate', () => {
    expect(() => parseIdpMetadata(`<!DOCTYPE x [<!ENTITY a "b">]>${idpMetadata()}`)).toThrow(/DOCTYPE/);
    expect(() =>
      parseIdpMetadata(`<r>${idpMetadata()}${idpMetadata()}</r>`.replaceAll('<?xml version="1.0"?>', '')),
    ).toThrow(/exactly one EntityDescriptor/);
    expect(() => parseIdpMetadata(idpMetadata().replace('HTTP-Redirect', 'HTTP-Artifact'))).toThrow(
      /HTTP-Redirect/,
    );
    expect(() =>
      parseIdpMetadata(
        idpMetadata().replace(/<md:KeyDescriptor use="signing">[\s\S]*?<\/md:KeyDescriptor>/, ''),
      ),
    ).toThrow(/no signing certificate/);
  });

  it('fetches metadata from a URL, refusing plain http unless allowed and link-local hosts always', async () => {
    const server = createServer((_req, res) => res.end(idpMetadata()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metadata`;
    const config = { NODE_ENV: 'test' as const };
    try {
      const allowed = { settings: identityConfig({ AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true }), config };
      expect((await fetchIdpMetadata(allowed as never, url)).idpSsoUrl).toBe('https://idp.example/redirect');
      const strict = { settings: identityConfig(), config };
      await expect(fetchIdpMetadata(strict as never, url)).rejects.toThrow(/https/);
      await expect(fetchIdpMetadata(allowed as never, 'http://169.254.169.254/latest')).rejects.toThrow(
        /link-local/,
      );
    } finally {
      server.close();
    }
  });

  it('refuses a chunked metadata body past the cap while it streams, not after reading it all', async () => {
    let written = 0;
    let closed = false;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const server = createServer((_req, res) => {
      res.on('close', () => (closed = true));
      // No Content-Length (chunked): up to 200 MiB, one chunk whenever the client reads.
      const pump = () => {
        while (!closed && written < 200 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metadata`;
    try {
      const allowed = {
        settings: identityConfig({ AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: true }),
        config: { NODE_ENV: 'test' as const },
      };
      await expect(fetchIdpMetadata(allowed as never, url)).rejects.toThrow(/could not be fetched/);
      // The cap is 512 KiB; socket buffers add a few MiB at most, nowhere near 200 MiB.
      expect(written).toBeLessThan(32 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
