// Secret and PII detectors. Each has a type (the placeholder and the audit count key), the
// policy group that switches it on, a global regex and, where a pattern alone is too loose,
// a check on the match (Luhn, IBAN mod 97, entropy). Order matters: secrets first, so a JWT
// or key is not partly eaten as a phone number; cards and IBANs before phones.
import type { BoundedPattern } from '@airlock/common';

export type DetectorGroup = 'secrets' | 'emails' | 'phones' | 'cards' | 'iban' | 'ssn';

export interface Detector {
  type: string;
  group: DetectorGroup;
  pattern: RegExp;
  /** Extra check on a match; false keeps the text. */
  accept?: (match: string, groups: string[]) => boolean;
  /** What replaces the match (default: the placeholder). */
  replace?: (match: string, placeholder: string, groups: string[]) => string;
  /** Admin-written patterns match with RE2 (linear time) instead of through `pattern`. */
  bounded?: BoundedPattern;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, '').toUpperCase();
  if (iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const c of v) rem = (rem * 10 + (c.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const digitCount = (s: string) => s.replace(/\D/g, '').length;

export const DETECTORS: readonly Detector[] = [
  {
    type: 'private_key',
    group: 'secrets',
    // A key cut before its END line is still a key: the match then runs to the end of the text.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  {
    type: 'aws_access_key',
    group: 'secrets',
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/g,
  },
  {
    type: 'aws_secret_key',
    group: 'secrets',
    pattern: /\b(aws_?secret_?(?:access_?)?key\s*["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi,
    replace: (_m, placeholder, g) => `${g[0]}${placeholder}`,
  },
  { type: 'gcp_api_key', group: 'secrets', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  {
    type: 'azure_key',
    group: 'secrets',
    pattern: /\b(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{40,}={0,2}|\bsig=[A-Za-z0-9%+/]{40,}={0,2}/g,
  },
  {
    type: 'github_token',
    group: 'secrets',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})\b/g,
  },
  { type: 'gitlab_token', group: 'secrets', pattern: /\bgl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20,}\b/g },
  {
    type: 'slack_token',
    group: 'secrets',
    pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b|https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]{20,}/g,
  },
  {
    type: 'jwt',
    group: 'secrets',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
  },
  { type: 'openai_key', group: 'secrets', pattern: /\bsk-(?:[A-Za-z]+-)?[A-Za-z0-9_-]{20,}\b/g },
  {
    // name = value where the name says secret and the value looks random
    type: 'secret_assignment',
    group: 'secrets',
    pattern:
      /\b([A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?)(?!\[REDACTED:)([^\s"',;]{12,})/gi,
    accept: (_m, g) => entropy(g[1] ?? '') >= 3.5,
    replace: (_m, placeholder, g) => `${g[0]}${placeholder}`,
  },
  {
    type: 'email',
    group: 'emails',
    pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g,
  },
  {
    type: 'card',
    group: 'cards',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    accept: (m) => {
      const d = m.replace(/\D/g, '');
      return d.length >= 13 && d.length <= 19 && luhn(d);
    },
  },
  {
    type: 'iban',
    group: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g,
    accept: (m) => ibanValid(m),
  },
  { type: 'ssn', group: 'ssn', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  {
    type: 'phone',
    group: 'phones',
    pattern: /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,4}\b/g,
    accept: (m) => {
      const n = digitCount(m);
      // a phone number: 10-15 digits, written with separators (not a bare id or a date)
      return n >= 10 && n <= 15 && !/^\d{4}-\d{2}-\d{2}/.test(m);
    },
  },
];
