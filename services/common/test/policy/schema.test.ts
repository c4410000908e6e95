import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_POLICY,
  hasNestedQuantifier,
  isCidr,
  isLinkLocalHost,
  validatePolicy,
} from '../../src/policy/schema.js';

describe('policy schema', () => {
  it('gives an org without a policy safe defaults: no models, redaction for cloud, 90 days of audit', () => {
    expect(DEFAULT_POLICY).toMatchObject({
      privacyMode: 'normal',
      models: { allow: {} },
      upstreams: [],
      redaction: { cloud: true, onprem: false },
      admin: { ipAllowlist: [] },
      sessions: { idleMinutes: 60, absoluteHours: 12 },
      audit: { retentionDays: 90 },
    });
  });

  it('fills upstream defaults', () => {
    const result = validatePolicy({
      upstreams: [{ name: 'vllm', baseUrl: 'http://vllm:8000/v1', kind: 'onprem', provider: 'vllm' }],
    });
    expect(result.ok && result.policy.upstreams[0]).toMatchObject({
      timeoutMs: 60_000,
      models: ['*'],
      aliases: {},
    });
  });

  it('lists every problem by JSON path', () => {
    const result = validatePolicy({
      privacyMode: 'x',
      upstreams: [
        { name: 'a', baseUrl: 'file:///etc/passwd', kind: 'onprem', provider: 'vllm' },
        { name: 'a', baseUrl: 'https://user:pw@h.example', kind: 'cloud', provider: 'openai' },
      ],
      redaction: { customPatterns: [{ name: 'bad', pattern: '(' }] },
      admin: { ipAllowlist: ['10.0.0.0/8', '300.1.1.1', '10.0.0.0/x'] },
      models: { default: 'gpt-*' },
      unknown: 1,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path).sort()).toEqual(
      [
        '$',
        '$.admin.ipAllowlist[1]',
        '$.admin.ipAllowlist[2]',
        '$.models.default',
        '$.privacyMode',
        '$.redaction.customPatterns[0].pattern',
        '$.upstreams[0].baseUrl',
        '$.upstreams[1].baseUrl',
        '$.upstreams[1].name',
      ].sort(),
    );
  });

  it.each([
    ['10.0.0.0/8', true],
    ['10.1.2.3', true],
    ['0.0.0.0/0', true],
    ['2001:db8::/32', true],
    ['::1', true],
    ['10.0.0.0/33', false],
    ['2001:db8::/129', false],
    ['10.0.0.0/8/8', false],
    ['example.com', false],
    ['10.0.0.0/', false],
  ])('isCidr(%s) is %s', (value, expected) => {
    expect(isCidr(value)).toBe(expected);
  });
});

describe('hasNestedQuantifier', () => {
  it.each([
    ['(a+)+', true],
    ['(\\w*)*', true],
    ['(?:a+)+$', true],
    ['((ab)+)*', true],
    ['(a+){2,}', true],
    ['\\bEMP-\\d{6}\\b', false],
    ['PROJECT-[0-9]{4}', false],
    ['(ab)+', false],
    ['\\d+(\\.\\d+)?', false],
    ['[(a+)]+', false],
    ['\\(a+\\)+', false],
  ])('%s: %s', (pattern, expected) => {
    expect(hasNestedQuantifier(pattern)).toBe(expected);
  });

  it.each(['secret(?=!)', '(?<!x)key', '(a)\\1'])(
    "refuses %s, which the gateway's RE2 engine cannot compile",
    (pattern) => {
      const result = validatePolicy({ redaction: { customPatterns: [{ name: 'p', pattern }] } });
      expect(result).toMatchObject({
        ok: false,
        problems: [
          { path: '$.redaction.customPatterns[0].pattern', message: expect.stringContaining('RE2') },
        ],
      });
    },
  );

  it('accepts (a|a)+b: RE2 matches it in linear time', () => {
    expect(validatePolicy({ redaction: { customPatterns: [{ name: 'p', pattern: '(a|a)+b' }] } }).ok).toBe(
      true,
    );
  });

  it('makes the schema refuse such a custom pattern', () => {
    const result = validatePolicy({ redaction: { customPatterns: [{ name: 'slow', pattern: '(a+)+$' }] } });
    expect(result).toMatchObject({
      ok: false,
      problems: [{ path: '$.redaction.customPatterns[0].pattern' }],
    });
  });
});

describe('isLinkLocalHost', () => {
  it.each([
    ['169.254.169.254', true],
    ['[fe80::1]', true],
    ['[::ffff:169.254.169.254]', true],
    ['metadata.google.internal', true],
    ['10.0.0.5', false],
    ['127.0.0.1', false],
    ['api.openai.com', false],
  ])('%s: %s', (host, expected) => {
    expect(isLinkLocalHost(host)).toBe(expected);
  });
});
