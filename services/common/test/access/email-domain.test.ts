import { describe, expect, it } from '@jest/globals';
import { emailDomainAllowed } from '../../src/access/email-domain.js';

// One rule for rbac's invitations and identity's sign-in and SCIM provisioning.
describe('emailDomainAllowed', () => {
  it('matches exactly and case-insensitively; an empty list allows any domain', () => {
    expect(emailDomainAllowed('a@Acme.example', ['acme.example'])).toBe(true);
    expect(emailDomainAllowed('a@evil.acme.example', ['acme.example'])).toBe(false);
    expect(emailDomainAllowed('a@acme.example.evil', ['acme.example'])).toBe(false);
    expect(emailDomainAllowed('a@anything.example', [])).toBe(true);
  });

  it('gives a value without "@" no domain, so it matches no list', () => {
    expect(emailDomainAllowed('acme.example', ['acme.example'])).toBe(false);
  });
});
