import { describe, expect, it } from '@jest/globals';
import { createUpstreamKeyBox, parseKeyring, validatePolicy, type Policy } from '@airlock/common';
import { randomBytes } from 'node:crypto';
import { parseIfMatch, preparePolicy, publicPolicy } from '../../src/domain/policy.js';

const ORG = '11111111-1111-4111-8111-111111111111';
const keys = createUpstreamKeyBox(parseKeyring(randomBytes(32).toString('base64')));

function policy(doc: unknown): Policy {
  const r = validatePolicy(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}

const upstreams = [
  { name: 'vllm', baseUrl: 'http://vllm:8000/v1', kind: 'onprem', provider: 'vllm' },
  { name: 'openai', baseUrl: 'https://api.openai.com/v1', kind: 'cloud', provider: 'openai' },
];

describe('If-Match', () => {
  it.each([
    ['"3"', 3],
    ['3', 3],
    [' "12" ', 12],
  ])('reads %s as version %i', (header, version) => {
    expect(parseIfMatch(header)).toBe(version);
  });

  it.each([undefined, '', '*', 'W/"3"', '"3", "4"', '"-1"', '"3'])('refuses %j with 400', (header) => {
    expect(() => parseIfMatch(header)).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('preparePolicy', () => {
  it('seals a new key and never keeps the clear text', () => {
    const r = preparePolicy({
      orgId: ORG,
      document: { upstreams: [{ ...upstreams[1], apiKey: 'sk-1' }] },
      previous: null,
      keys,
      clientIp: '127.0.0.1',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.upstreams[0]!.apiKey).toBeUndefined();
    expect(keys.open(ORG, 'openai', r.policy.upstreams[0]!.apiKeyEnc!)).toBe('sk-1');
  });

  it('carries a stored key over only to the upstream of the same name', () => {
    const previous = policy({
      upstreams: [{ ...upstreams[1], apiKeyEnc: keys.seal(ORG, 'openai', 'sk-1') }],
    });
    const r = preparePolicy({
      orgId: ORG,
      document: {
        upstreams: [
          { ...upstreams[1], apiKeySet: true },
          { ...upstreams[0], name: 'renamed' },
        ],
      },
      previous,
      keys,
      clientIp: undefined,
    });
    expect(r.ok && r.policy.upstreams.map((u) => Boolean(u.apiKeyEnc))).toEqual([true, false]);
  });

  it('never lets a stored key follow its upstream to a new base URL or provider', () => {
    const previous = policy({
      upstreams: [{ ...upstreams[1], apiKeyEnc: keys.seal(ORG, 'openai', 'sk-1') }],
    });
    const prepare = (changed: object) =>
      preparePolicy({
        orgId: ORG,
        document: { upstreams: [{ ...upstreams[1], ...changed }] },
        previous,
        keys,
        clientIp: undefined,
      });
    for (const changed of [{ baseUrl: 'https://attacker.example/v1' }, { provider: 'openai-compatible' }]) {
      const r = prepare(changed);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.problems).toEqual([
        { path: '$.upstreams[0].apiKey', message: expect.stringContaining('must be sent again') },
      ]);
    }
    // Same origin, other path: still the same server, the key stays.
    const samePlace = prepare({ baseUrl: 'https://api.openai.com/v2' });
    expect(samePlace.ok && samePlace.policy.upstreams[0]!.apiKeyEnc).toBeTruthy();
    // A new key with the new URL is fine.
    const withKey = prepare({ baseUrl: 'https://other.example/v1', apiKey: 'sk-2' });
    expect(withKey.ok && keys.open(ORG, 'openai', withKey.policy.upstreams[0]!.apiKeyEnc!)).toBe('sk-2');
  });

  it('refuses apiKeySet: false together with a new key, and a non-boolean apiKeySet', () => {
    const r = preparePolicy({
      orgId: ORG,
      document: {
        upstreams: [
          { ...upstreams[1], apiKey: 'k', apiKeySet: false },
          { ...upstreams[0], apiKeySet: 'yes' },
        ],
      },
      previous: null,
      keys,
      clientIp: undefined,
    });
    expect(!r.ok && r.problems.map((p) => p.path)).toEqual([
      '$.upstreams[0].apiKeySet',
      '$.upstreams[1].apiKeySet',
    ]);
  });

  it('refuses link-local and cloud metadata upstream addresses', () => {
    const r = preparePolicy({
      orgId: ORG,
      document: { upstreams: [{ ...upstreams[0], baseUrl: 'http://169.254.169.254/latest' }, upstreams[1]] },
      previous: null,
      keys,
      clientIp: undefined,
    });
    expect(!r.ok && r.problems).toEqual([
      { path: '$.upstreams[0].baseUrl', message: 'must not be a link-local or cloud metadata address' },
    ]);
  });

  it('shows keys only as apiKeySet', () => {
    const shown = publicPolicy(
      policy({ upstreams: [{ ...upstreams[1], apiKeyEnc: 'v1.1.abc' }, upstreams[0]] }),
    );
    expect(shown.upstreams.map((u) => [u.name, u.apiKeySet, 'apiKeyEnc' in u])).toEqual([
      ['openai', true, false],
      ['vllm', false, false],
    ]);
  });
});
