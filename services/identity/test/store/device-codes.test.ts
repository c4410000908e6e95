import { describe, expect, it } from '@jest/globals';
import { formatUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../src/store/device-codes.js';

describe('user codes', () => {
  it('use 20 consonants: no vowels (no words), no digits or look-alikes', () => {
    expect(USER_CODE_ALPHABET).toHaveLength(20);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
  });

  it('accept what people type: lower case, spaces, dashes', () => {
    for (const typed of ['BCDF-GHJK', 'bcdf-ghjk', 'bcdf ghjk', ' BCDFGHJK ', 'bc-df-gh-jk']) {
      expect(normalizeUserCode(typed)).toBe('BCDFGHJK');
    }
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });

  it('refuse anything that cannot be a code', () => {
    for (const bad of ['BCDF-GHJ', 'BCDF-GHJKL', 'ABCD-EFGH', 'BCDF-GHJ1', '<script>', 'B'.repeat(40), '']) {
      expect(normalizeUserCode(bad)).toBeNull();
    }
  });
});
