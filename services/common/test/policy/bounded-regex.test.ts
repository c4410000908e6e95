import { describe, expect, it } from '@jest/globals';
import { boundedPattern } from '../../src/policy/bounded-regex.js';

describe('linear-time custom patterns', () => {
  it('finds every non-empty match with its position', () => {
    const p = boundedPattern('ticket', 'TCK-\\d{4}');
    expect(p.matches('see TCK-1234 and TCK-9876, not TCK-12')).toEqual([
      [4, 8],
      [17, 8],
    ]);
    expect(p.matches('nothing here')).toEqual([]);
  });

  it('matches a catastrophic-backtracking pattern in linear time, with correct results', () => {
    // In JavaScript's engine (a|aa)+b on 100k a's would not finish; RE2 answers at once.
    for (const source of ['(a|aa)+b', '(a|a)+b', '(a+)+$']) {
      const p = boundedPattern('evil', source);
      expect(p.matches('a'.repeat(100_000))).toEqual(source === '(a+)+$' ? [[0, 100_000]] : []);
    }
    expect(boundedPattern('evil', '(a|aa)+b').matches('xaab')).toEqual([[1, 3]]);
  });

  it('reports UTF-16 positions, as String.slice expects', () => {
    expect(boundedPattern('t', 'TCK-\\d{4}').matches('é😀 TCK-1234')).toEqual([[4, 8]]);
  });

  it.each(['(?=a)b', '(?!a)b', '(?<=a)b', '(a)\\1'])(
    'refuses %s, which RE2 cannot run in linear time',
    (source) => {
      expect(() => boundedPattern('x', source)).toThrow(SyntaxError);
    },
  );

  it('refuses an invalid pattern when compiled', () => {
    expect(() => boundedPattern('bad', '(unclosed')).toThrow(SyntaxError);
  });
});
