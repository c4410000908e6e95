import { describe, expect, it } from '@jest/globals';
import { guardedFetch } from '../../src/domain/outbound.js';

// Endpoints an IdP's discovery document names (token, JWKS, userinfo) go through the same
// guard as the issuer the admin typed: openid-client fetches them with guardedFetch.
describe('guardedFetch (every OIDC fetch)', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/token',
    'http://[::a9fe:a9fe]/jwks',
    'http://[64:ff9b::a9fe:a9fe]/userinfo',
    'http://metadata.google.internal./computeMetadata/v1/',
    'http://2852039166/',
  ])('refuses %s without dialling', async (url) => {
    await expect(guardedFetch(url, {})).rejects.toThrow(/outbound-destination guard/);
  });
});
