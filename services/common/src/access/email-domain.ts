/**
 * True when the email's domain is one of the org's allowed email domains (an empty list
 * allows any). Exact, case-insensitive: subdomains do not match implicitly, and a value
 * without "@" has no domain, so it matches no list.
 */
export function emailDomainAllowed(email: string, allowedDomains: readonly string[]): boolean {
  if (allowedDomains.length === 0) return true;
  const at = email.lastIndexOf('@');
  if (at === -1) return false;
  const domain = email.slice(at + 1).toLowerCase();
  return allowedDomains.some((d) => d.toLowerCase() === domain);
}
