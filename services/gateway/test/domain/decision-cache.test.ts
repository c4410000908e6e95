// DecisionCache keeps granted decisions per policy object, role ability and model: the
// gate's hot path evaluates a model once per policy version, refusals every time.
import { describe, expect, it } from '@jest/globals';
import { policySchema, type Principal } from '@airlock/common';
import { DecisionCache, roleModelAbility } from '../../src/domain/decide.js';
import type { RouteTarget } from '../../src/upstreams/client.js';

const principal: Principal = {
  kind: 'api_token',
  userId: 'u1',
  email: null,
  orgId: 'org-1',
  role: 'member',
  isPlatformAdmin: false,
  expiresAt: null,
} as Principal;

function policyWith(upstream: string) {
  return policySchema.parse({
    models: { allow: { member: ['llama-*'] } },
    upstreams: [
      {
        name: upstream,
        baseUrl: 'http://10.0.0.1/v1',
        kind: 'onprem',
        provider: 'vllm',
        models: ['llama-*'],
      },
    ],
  });
}

describe('DecisionCache', () => {
  it('answers a repeated model from the cache, frozen, and asks the destination check once', () => {
    const asked: RouteTarget[] = [];
    const cache = new DecisionCache((t) => (asked.push(t), true));
    const policy = policyWith('a');
    const ability = roleModelAbility(principal, policy, 1);
    const first = cache.decide({ principal, policy, ability, model: 'llama-3' });
    const again = cache.decide({ principal, policy, ability, model: 'llama-3' });
    expect(again).toBe(first);
    expect(first.candidates.map((c) => c.target.name)).toEqual(['a']);
    expect(Object.isFrozen(first) && Object.isFrozen(first.candidates[0]!.target)).toBe(true);
    expect(asked).toHaveLength(1);
    expect(cache.decide({ principal, policy, ability, model: 'llama-4' }).model).toBe('llama-4');
  });

  it('evaluates a new policy version afresh', () => {
    const cache = new DecisionCache(() => true);
    const v1 = policyWith('a');
    const v2 = policyWith('b');
    const decideOn = (policy: typeof v1, version: number) =>
      cache.decide({
        principal,
        policy,
        ability: roleModelAbility(principal, policy, version),
        model: 'llama-3',
      });
    expect(decideOn(v1, 11).candidates[0]!.target.name).toBe('a');
    expect(decideOn(v2, 12).candidates[0]!.target.name).toBe('b');
  });

  it('keeps no refusal: each refused request throws, and a destination refusal is asked again', () => {
    let allow = false;
    const cache = new DecisionCache(() => allow);
    const policy = policyWith('a');
    const ability = roleModelAbility(principal, policy, 21);
    expect(() => cache.decide({ principal, policy, ability, model: 'gpt-4o' })).toThrow(
      expect.objectContaining({ code: 'model_forbidden' }),
    );
    expect(() => cache.decide({ principal, policy, ability, model: 'llama-3' })).toThrow(
      expect.objectContaining({ code: 'destination_refused' }),
    );
    allow = true;
    expect(cache.decide({ principal, policy, ability, model: 'llama-3' }).model).toBe('llama-3');
  });
});
