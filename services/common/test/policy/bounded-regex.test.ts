import { describe, expect, it } from '@jest/globals';
import { boundedPattern, PatternTimeoutError } from '../../src/policy/bounded-regex.js';

describe('bounded custom patterns', () => {
  it('finds every non-empty match with its position', () => {
    const p = boundedPattern('ticket', 'TCK-\\d{4}');
    expect(p.matches('see TCK-1234 and TCK-9876, not TCK-12')).toEqual([
      [4, 8],
      [17, 8],
    ]);
    expect(p.matches('nothing here')).toEqual([]);
  });

  it('stops a catastrophic pattern at its time limit instead of stalling the process', () => {
    const p = boundedPattern('evil', '(a|aa)+b', 50);
    const t0 = Date.now();
    expect(() => p.matches('a'.repeat(60))).toThrow(PatternTimeoutError);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // Still usable afterwards on input that matches quickly.
    expect(p.matches('aab')).toEqual([[0, 3]]);
  });

  it('refuses an invalid pattern when compiled', () => {
    expect(() => boundedPattern('bad', '(unclosed')).toThrow(SyntaxError);
  });
});
