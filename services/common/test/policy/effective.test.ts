import { describe, expect, it } from '@jest/globals';
import { effectivePolicy } from '../../src/policy/effective.js';
import { validatePolicy, type Policy } from '../../src/policy/schema.js';

function policy(doc: unknown): Policy {
  const r = validatePolicy(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}

const upstreams = [
  { name: 'vllm', baseUrl: 'http://vllm:8000/v1', kind: 'onprem', provider: 'vllm' },
  { name: 'openai', baseUrl: 'https://api.openai.com/v1', kind: 'cloud', provider: 'openai' },
];

describe('effectivePolicy', () => {
  const base = {
    models: { allow: { member: ['llama-*'], viewer: ['*'] }, default: 'llama-3' },
    upstreams,
    limits: {
      perRole: { member: { requestsPerMinute: 10, tokensPerMinute: 50_000 } },
      perUser: { requestsPerMinute: 20, tokensPerMinute: 5_000 },
      perOrg: { requestsPerMinute: 1_000 },
      monthlyQuota: { perUser: { tokens: 1_000_000 } },
    },
  };

  it('leaves only on-prem upstreams in offline mode', () => {
    const e = effectivePolicy(policy({ ...base, privacyMode: 'offline' }), 4, 'u', 'member');
    expect(e.upstreams.map((u) => u.name)).toEqual(['vllm']);
  });

  it('forces redaction before cloud upstreams in sensitive mode, even if the policy turns it off', () => {
    const e = effectivePolicy(
      policy({ ...base, privacyMode: 'sensitive', redaction: { cloud: false } }),
      4,
      'u',
      'member',
    );
    expect(e.upstreams.map((u) => [u.name, u.redacted])).toEqual([
      ['vllm', false],
      ['openai', true],
    ]);
  });

  it('lists every limit counted against the member: their own, their role’s pool, the org’s', () => {
    const e = effectivePolicy(policy(base), 4, 'u', 'member');
    expect(e.limits).toEqual({
      perUser: { requestsPerMinute: 20, tokensPerMinute: 5_000 },
      perRole: { requestsPerMinute: 10, tokensPerMinute: 50_000 },
      perOrg: { requestsPerMinute: 1_000 },
    });
    expect(effectivePolicy(policy(base), 4, 'u', 'admin').limits.perRole).toEqual({});
    expect(e.monthlyQuota).toEqual({ perUser: { tokens: 1_000_000 } });
  });

  it('shows the model aliases to members who use models, not to viewers', () => {
    const withAliases = policy({ ...base, models: { ...base.models, aliases: { 'claude-*': 'llama-3' } } });
    expect(effectivePolicy(withAliases, 4, 'u', 'member').models.aliases).toEqual({ 'claude-*': 'llama-3' });
    expect(effectivePolicy(withAliases, 4, 'u', 'viewer').models.aliases).toEqual({});
  });

  it('gives viewers no models and no upstreams, whatever the policy says', () => {
    const e = effectivePolicy(policy(base), 4, 'u', 'viewer');
    expect(e.models.allow).toEqual([]);
    expect(e.upstreams).toEqual([]);
  });
});
