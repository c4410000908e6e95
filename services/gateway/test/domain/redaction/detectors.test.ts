import { describe, expect, it } from '@jest/globals';
import { policySchema } from '@airlock/common';
import { DETECTORS, entropy, ibanValid, luhn } from '../../../src/domain/redaction/detectors.js';
import { redactBody, redactText } from '../../../src/domain/redaction/redact.js';

const all = DETECTORS;
function run(text: string) {
  const counts: Record<string, number> = {};
  return { out: redactText(text, all, counts), counts };
}

// Built at run time so this file holds no literal credential a scanner would flag.
const gh = `ghp_${'a1B2c3D4e5'.repeat(3)}123456`;
const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'}`;

const CASES: { type: string; positive: string; negative: string }[] = [
  {
    type: 'private_key',
    positive: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----',
    negative: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----',
  },
  {
    type: 'aws_access_key',
    positive: 'key AKIAIOSFODNN7EXAMPLE here',
    negative: 'AKIA is a prefix, AKIAshort',
  },
  {
    type: 'aws_secret_key',
    positive: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    negative: 'aws_secret_access_key = <your key here>',
  },
  { type: 'gcp_api_key', positive: `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`, negative: 'AIzaShort' },
  {
    type: 'azure_key',
    positive: `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${'A'.repeat(30)}${'b9+/'.repeat(15)}==`,
    negative: 'AccountKey=short',
  },
  { type: 'github_token', positive: `token ${gh}`, negative: 'ghp_tooShort and github.com/ghp_' },
  { type: 'gitlab_token', positive: `glpat-${'xY7_abcdEFGH12345678'}`, negative: 'glpat-short' },
  { type: 'slack_token', positive: `xoxb-${'123456789012-abcdefABCDEF'}`, negative: 'xoxb- and xox' },
  { type: 'jwt', positive: `Bearer ${jwt}`, negative: 'eyJ is how JSON starts in base64' },
  {
    type: 'openai_key',
    positive: `sk-proj-${'Ab3dEf6hIj9kLm2nOp5qRs8t'}`,
    negative: 'a task-list and sk-short',
  },
  {
    type: 'secret_assignment',
    positive: 'DB_PASSWORD="x9$Lq2#vT8!mZ4pR"',
    negative: 'password = aaaaaaaaaaaaaaaa',
  },
  { type: 'email', positive: 'mail jane.doe+test@example.co.uk now', negative: 'user@localhost and @handle' },
  {
    type: 'phone',
    positive: 'call +1 415 555 2671 or (030) 1234 5678',
    negative: 'on 2024-01-15 version 1.2.3',
  },
  { type: 'card', positive: 'card 4111 1111 1111 1111 exp', negative: 'card 4111 1111 1111 1112 exp' },
  {
    type: 'iban',
    positive: 'IBAN DE89 3704 0044 0532 0130 00 ok',
    negative: 'IBAN DE00 3704 0044 0532 0130 00 ok',
  },
  { type: 'ssn', positive: 'ssn 123-45-6789', negative: 'ssn 000-12-3456 and 666-12-3456' },
];

describe('redaction detectors', () => {
  it.each(CASES)('$type: replaces a positive sample with a typed placeholder', ({ type, positive }) => {
    const { out, counts } = run(positive);
    expect(counts[type]).toBeGreaterThanOrEqual(1);
    expect(out).toContain(`[REDACTED:${type}]`);
  });

  it.each(CASES)('$type: leaves a negative sample alone', ({ type, negative }) => {
    const { out, counts } = run(negative);
    expect(counts[type]).toBeUndefined();
    expect(out).not.toContain(`[REDACTED:${type}]`);
  });

  it('keeps the name of a secret assignment and hides only its value', () => {
    const { out } = run('api_key: Zq8#Lm2!vR7pX4tW');
    expect(out).toBe('api_key: [REDACTED:secret_assignment]');
  });

  it('checks cards with Luhn, IBANs with mod 97, and measures entropy', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(entropy('aaaaaaaa')).toBe(0);
    expect(entropy('abcdefgh')).toBe(3);
  });
});

describe('redacting a request body', () => {
  const settings = policySchema.parse({
    redaction: { customPatterns: [{ name: 'project', pattern: 'PROJECT-[0-9]{4}' }] },
  }).redaction;

  it('covers chat messages, content parts, tool call arguments, prompts and embedding inputs', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: 'mail a@b.io' },
        { role: 'user', content: [{ type: 'text', text: 'ssn 123-45-6789' }] },
        {
          role: 'assistant',
          tool_calls: [{ id: '1', type: 'function', function: { name: 'f', arguments: '{"to":"c@d.io"}' } }],
        },
      ],
      prompt: ['PROJECT-1234 plan'],
      input: 'x@y.org',
    };
    const { body: out, counts } = redactBody(body, settings);
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/a@b\.io|123-45-6789|c@d\.io|PROJECT-1234|x@y\.org/);
    expect(counts).toEqual({ email: 3, ssn: 1, project: 1 });
    expect(JSON.stringify(body)).toContain('a@b.io'); // the caller's object is untouched
  });

  it('applies only the detector groups the policy enables', () => {
    const onlyEmails = policySchema.parse({ redaction: { detectors: ['emails'] } }).redaction;
    const { counts } = redactBody({ input: 'a@b.io 123-45-6789' }, onlyEmails);
    expect(counts).toEqual({ email: 1 });
  });

  it('throws on a broken custom pattern instead of sending unredacted text', () => {
    // The policy schema refuses such a pattern on write; this is the net under it.
    const broken = { ...settings, customPatterns: [{ name: 'bad', pattern: '([' }] };
    expect(() => redactBody({ input: 'anything' }, broken)).toThrow();
  });
});
