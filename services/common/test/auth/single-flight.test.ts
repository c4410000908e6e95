import { describe, expect, it } from '@jest/globals';
import type { Principal, PrincipalResolver } from '@airlock/common';
import { singleFlight } from '../../src/auth/single-flight.js';

describe('single-flight principal lookups', () => {
  it('lets concurrent lookups of one token share one load, and loads again afterwards', async () => {
    let loads = 0;
    const principal = { kind: 'api_token', userId: 'u' } as Principal;
    const inner = {
      fromBearer: async () => {
        loads++;
        await new Promise((r) => setTimeout(r, 20));
        return principal;
      },
    } as unknown as PrincipalResolver;
    const resolver = singleFlight(inner);
    const results = await Promise.all(Array.from({ length: 10 }, () => resolver.fromBearer('tok')));
    expect(results.every((p) => p === principal)).toBe(true);
    expect(loads).toBe(1);
    await resolver.fromBearer('tok');
    expect(loads).toBe(2);
  });

  it('does not share a load between different tokens', async () => {
    const seen: string[] = [];
    const inner = {
      fromBearer: async (t: string) => {
        seen.push(t);
        return null;
      },
    } as unknown as PrincipalResolver;
    const resolver = singleFlight(inner);
    await Promise.all([resolver.fromBearer('a'), resolver.fromBearer('b')]);
    expect(seen.sort()).toEqual(['a', 'b']);
  });
});
