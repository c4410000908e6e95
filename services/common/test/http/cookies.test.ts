import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { readCookie, secureCookiesFor } from '../../src/http/cookies.js';

const withCookie = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as Request;

// The one cookie reader and secure-cookie rule of every service (session, SSO binding cookies).
describe('cookies', () => {
  it('reads one cookie by exact name, %-decoded, and a malformed escape as none', () => {
    const req = withCookie('x_airlock_session=no; airlock_session=a%2Bb ; other=1');
    expect(readCookie(req, 'airlock_session')).toBe('a+b');
    expect(readCookie(req, 'missing')).toBeUndefined();
    expect(readCookie(withCookie(), 'airlock_session')).toBeUndefined();
    expect(readCookie(withCookie('airlock_session=%E0%A4%A'), 'airlock_session')).toBeUndefined();
  });

  it('makes cookies Secure exactly when the public URL is https', () => {
    expect(secureCookiesFor('https://airlock.example')).toBe(true);
    expect(secureCookiesFor('http://localhost:8080')).toBe(false);
  });
});
